// Where a cluster keeps its files: /run/svclab/<cluster> (tmpfs, gone at reboot like the network
// namespaces), or $XDG_RUNTIME_DIR/svclab/<cluster> when not root.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_CLUSTER = 'svclab';

export function stateRoot(): string {
  if (process.env.SVCLAB_STATE_DIR) return process.env.SVCLAB_STATE_DIR;
  if (process.getuid?.() === 0) return '/run/svclab';
  return join(process.env.XDG_RUNTIME_DIR ?? '/tmp', 'svclab');
}

export const clusterDir = (cluster: string) => join(stateRoot(), cluster);
export const kubeconfigPath = (cluster: string) => join(clusterDir(cluster), 'kubeconfig');

export interface ClusterState {
  cluster: string;
  pid: number;
  apiserver: string;
  kubeconfig: string;
  nodes: string[];
  startedAt: string;
}

export function validateClusterName(name: string): void {
  if (!/^[a-z][a-z0-9]{0,11}$/.test(name)) {
    throw new Error(`invalid cluster name "${name}": use 1-12 lower-case letters and digits, starting with a letter (it prefixes the network namespaces)`);
  }
}

export function readState(cluster: string): ClusterState | undefined {
  const f = join(clusterDir(cluster), 'state.json');
  if (!existsSync(f)) return undefined;
  try { return JSON.parse(readFileSync(f, 'utf8')) as ClusterState; } catch { return undefined; }
}

export async function writeState(s: ClusterState): Promise<void> {
  await mkdir(clusterDir(s.cluster), { recursive: true });
  await writeFile(join(clusterDir(s.cluster), 'state.json'), JSON.stringify(s, null, 2));
}

export function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}
