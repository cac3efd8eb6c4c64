// iproute2 and friends, run in a named network namespace. `ip -b` batches keep the number of
// processes spawned per pod small, which is most of the cost of starting one.
import { execa } from 'execa';

export const NETNS_DIR = '/run/netns';

export async function ipBatch(ns: string | undefined, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const args = ns ? ['-n', ns, '-b', '-'] : ['-b', '-'];
  await execa('ip', args, { input: lines.join('\n') + '\n' });
}

export async function inNetns(ns: string, cmd: string, args: string[], input?: string): Promise<string> {
  const r = await execa('nsenter', [`--net=${NETNS_DIR}/${ns}`, '--', cmd, ...args], { input });
  return r.stdout;
}

export async function sysctls(ns: string, values: Record<string, string | number>): Promise<void> {
  await inNetns(ns, 'sysctl', ['-q', '-w', ...Object.entries(values).map(([k, v]) => `${k}=${v}`)]);
}

export async function addNetns(name: string): Promise<void> {
  await execa('ip', ['netns', 'add', name]);
}

export async function listNetns(): Promise<string[]> {
  const r = await execa('ip', ['netns', 'list'], { reject: false });
  return r.stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

export async function deleteNetns(name: string): Promise<void> {
  await execa('ip', ['netns', 'delete', name], { reject: false });
}

/** PIDs of every process whose network namespace is the named one. */
export async function netnsPids(name: string): Promise<number[]> {
  const r = await execa('ip', ['netns', 'pids', name], { reject: false });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}
