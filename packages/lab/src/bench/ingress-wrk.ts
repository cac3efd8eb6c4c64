// wrk, run in a network namespace, and its `--latency` report read back: requests/s, p50 / p99
// latency, non-2xx answers and socket errors (a run with either is not a throughput figure).
import { execa } from 'execa';

export interface WrkOptions { threads: number; connections: number; seconds: number }

export interface WrkResult { rps: number; p50Ms: number; p99Ms: number; requests: number; non2xx: number; socketErrors?: string }

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function duration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw new Error(`wrk: unreadable latency ${JSON.stringify(text)}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export function parseWrk(out: string): WrkResult {
  const pick = (re: RegExp, what: string) => {
    const m = re.exec(out);
    if (!m?.[1]) throw new Error(`wrk printed no ${what}: ${out.trim().split('\n').slice(-3).join(' | ')}`);
    return m[1];
  };
  const socket = /Socket errors: (.*)/.exec(out)?.[1];
  return {
    rps: Number(pick(/Requests\/sec:\s+([\d.]+)/, 'Requests/sec')),
    p50Ms: duration(pick(/^\s+50%\s+(\S+)/m, '50% latency')),
    p99Ms: duration(pick(/^\s+99%\s+(\S+)/m, '99% latency')),
    requests: Number(pick(/(\d+) requests in/, 'request count')),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    ...(socket ? { socketErrors: socket.trim() } : {}),
  };
}

export const wrkArgs = (o: WrkOptions, url: string, host: string) =>
  ['--latency', '-t', String(o.threads), '-c', String(o.connections), '-d', `${o.seconds}s`, '-H', `Host: ${host}`, url];

export async function runWrk(netns: string, o: WrkOptions, url: string, host: string): Promise<WrkResult> {
  const r = await execa('nsenter', [`--net=/run/netns/${netns}`, '--', 'wrk', ...wrkArgs(o, url, host)], { reject: false, timeout: (o.seconds + 30) * 1000 });
  if (r.exitCode !== 0) throw new Error(`wrk failed (exit ${r.exitCode}): ${String(r.stderr || r.stdout).trim().split('\n')[0]}`);
  return parseWrk(String(r.stdout));
}

export async function wrkVersion(): Promise<string> {
  const r = await execa('wrk', ['-v'], { reject: false });
  return String(r.stdout || r.stderr).split('\n')[0]?.trim() || 'wrk';
}
