// kubelet's container probes (readiness, liveness): httpGet and tcpSocket from the node's network
// namespace to the pod's IP, exec inside the container; run every periodSeconds after
// initialDelaySeconds, a result flipping only after successThreshold / failureThreshold in a row.
// Failures are worded as kubelet words them (they become the Unhealthy events).
import type { V1ContainerPort, V1Probe } from '@kubernetes/client-node';
import { execa } from 'execa';
import { NETNS_DIR } from '../network/ip.js';
import { listeningPorts } from './listening.js';

export type ProbeKind = 'Readiness' | 'Liveness';

export interface ProbeTarget {
  /** the node's network namespace: kubelet probes from the node */
  nodeNs: string;
  podIP: string;
  /** a process in the pod's network namespace (the pause process) */
  pausePid: number;
  ports: V1ContainerPort[];
  /** runs a command in the container; its exit code, or an error text when it could not run */
  exec(command: string[], timeoutMs: number): Promise<{ exitCode?: number; output: string; error?: string }>;
}

export interface ProbeResult { ok: boolean; message?: string }

function resolvePort(port: number | string | undefined, ports: V1ContainerPort[]): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return ports.find((p) => p.name === port)?.containerPort;
}

async function httpGet(probe: NonNullable<V1Probe['httpGet']>, t: ProbeTarget, timeoutS: number): Promise<ProbeResult> {
  const port = resolvePort(probe.port as number | string, t.ports);
  const scheme = (probe.scheme ?? 'HTTP').toLowerCase();
  if (port === undefined) return { ok: false, message: `unable to find port "${String(probe.port)}"` };
  const host = probe.host || t.podIP;
  const path = (probe.path || '/').startsWith('/') ? probe.path || '/' : `/${probe.path}`;
  const url = `${scheme}://${host}:${port}${path}`;
  const headers = (probe.httpHeaders ?? []).flatMap((h) => ['-H', `${h.name}: ${h.value}`]);
  const r = await execa('nsenter', [`--net=${NETNS_DIR}/${t.nodeNs}`, '--', 'curl', '-s', '-k', '-o', '/dev/null', '-w', '%{http_code}',
    '--max-time', String(timeoutS), '-A', 'kube-probe/1.32', ...headers, url], { reject: false });
  const code = Number(r.stdout);
  if (r.exitCode === 0) {
    // kubelet: 200 <= code < 400 is a success
    return code >= 200 && code < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` };
  }
  if (r.exitCode === 7) return { ok: false, message: `Get "${url}": dial tcp ${host}:${port}: connect: connection refused` };
  if (r.exitCode === 28) return { ok: false, message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` };
  return { ok: false, message: `Get "${url}": ${r.stderr.trim() || `curl exit ${r.exitCode}`}` };
}

async function tcpSocket(probe: NonNullable<V1Probe['tcpSocket']>, t: ProbeTarget): Promise<ProbeResult> {
  const port = resolvePort(probe.port as number | string, t.ports);
  if (port === undefined) return { ok: false, message: `unable to find port "${String(probe.port)}"` };
  const host = probe.host || t.podIP;
  // a connect to the pod succeeds exactly when something in its namespace listens on the port
  if (host === t.podIP && (await listeningPorts(t.pausePid)).has(port)) return { ok: true };
  return { ok: false, message: `dial tcp ${host}:${port}: connect: connection refused` };
}

async function execProbe(probe: NonNullable<V1Probe['exec']>, t: ProbeTarget, timeoutS: number): Promise<ProbeResult> {
  const r = await t.exec(probe.command ?? [], timeoutS * 1000);
  if (r.error) return { ok: false, message: r.error };
  if (r.exitCode === 0) return { ok: true };
  if (r.exitCode === undefined) return { ok: false, message: `command "${(probe.command ?? []).join(' ')}" timed out` };
  return { ok: false, message: r.output.trim() };
}

export async function probeOnce(probe: V1Probe, t: ProbeTarget): Promise<ProbeResult> {
  const timeoutS = probe.timeoutSeconds ?? 1;
  if (probe.httpGet) return httpGet(probe.httpGet, t, timeoutS);
  if (probe.tcpSocket) return tcpSocket(probe.tcpSocket, t);
  if (probe.exec) return execProbe(probe.exec, t, timeoutS);
  return { ok: false, message: 'probe has no handler (httpGet, tcpSocket or exec); grpc probes are not supported here' };
}

/**
 * One probe of one container, run on its period until stopped. `onResult` is called when the
 * result flips (readiness starts as failed, liveness as passed); `onFailure` on every failure.
 */
export class ProbeWorker {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private result: boolean;
  private streak = 0;

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: V1Probe,
    private readonly target: ProbeTarget,
    private readonly onResult: (ok: boolean) => void,
    private readonly onFailure: (message: string) => void,
  ) {
    this.result = kind === 'Liveness';
    this.schedule((probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const r = await probeOnce(this.probe, this.target).catch((e: unknown) => ({ ok: false, message: (e as Error).message }));
    if (this.stopped) return;
    if (!r.ok) this.onFailure(r.message ?? 'probe failed');
    // a streak counts results unlike the current one; enough of them in a row flips it
    this.streak = r.ok === this.result ? 0 : this.streak + 1;
    const needed = r.ok ? (this.probe.successThreshold ?? 1) : (this.probe.failureThreshold ?? 3);
    if (this.streak >= needed) {
      this.result = r.ok;
      this.streak = 0;
      this.onResult(r.ok);
    }
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }
}
