// Removes everything a cluster left behind, whether it stopped cleanly or was killed: its daemon,
// every process in its network namespaces (pods, kube-proxy, pause), the namespaces themselves
// (which takes their interfaces, routes and iptables rules along), the mount points it created on
// the host, and its state folder.
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { deleteNetns, listNetns, netnsPids } from './network/ip.js';
import { alive, clusterDir, readState, stateRoot } from './state.js';

export const MOUNT_POINTS_FILE = 'mount-points';

async function killAndWait(pids: number[], signal: NodeJS.Signals, ms: number): Promise<void> {
  for (const pid of pids) { try { process.kill(pid, signal); } catch { /* gone */ } }
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}

export async function cleanupCluster(cluster: string, opts: { gracefulMs?: number } = {}): Promise<string[]> {
  const removed: string[] = [];
  const state = readState(cluster);
  if (state && state.pid !== process.pid && alive(state.pid)) {
    await killAndWait([state.pid], 'SIGTERM', opts.gracefulMs ?? 5000);
    await killAndWait([state.pid], 'SIGKILL', 1000);
    removed.push(`process ${state.pid} (cluster daemon)`);
  }
  const namespaces = (await listNetns()).filter((n) => n.startsWith(`${cluster}-`));
  for (const ns of namespaces) {
    const pids = await netnsPids(ns);
    if (pids.length) { await killAndWait(pids, 'SIGKILL', 2000); removed.push(`${pids.length} process(es) in ${ns}`); }
  }
  await Promise.all(namespaces.map(deleteNetns));
  removed.push(...namespaces.map((n) => `network namespace ${n}`));
  const dir = clusterDir(cluster);
  const points = await readFile(join(dir, MOUNT_POINTS_FILE), 'utf8').catch(() => '');
  // Another running cluster may have its pods' mounts on the same folders: leave them to it.
  const others = (await readdir(stateRoot()).catch(() => [] as string[])).filter((c) => c !== cluster && readState(c) && alive(readState(c)!.pid));
  for (const p of others.length ? [] : points.split('\n').filter(Boolean).reverse()) {
    if (await rmdir(p).then(() => true, () => false)) removed.push(`mount point ${p}`);
  }
  await rm(dir, { recursive: true, force: true });
  return removed;
}
