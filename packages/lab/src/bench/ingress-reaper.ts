// The reaper of `pnpm bench ingress`, started by startReaper (ingress-guard.ts), detached, in its own
// session so a terminal's Ctrl-C does not reach it. The bench tells it, one line each on stdin, what
// would be left behind if it died: `dir <path>` (a temp dir), `nginx <pid>` (an nginx master of its
// own), and `un…` when that is gone again. When stdin closes without a `done` line first, the bench
// died without cleaning up (SIGKILL), and the reaper does it: each nginx master and its workers killed,
// each dir removed, and the cluster removed (cleanupCluster: the processes in its namespaces, the
// namespaces, its state folder). argv[2]: the cluster's name.
import { readFileSync, rmSync } from 'node:fs';
import { cleanupCluster } from '@svclab/cluster';
import { childPids, killQuietly } from '../../../ingress/src/nginx/processes.js';

const name = process.argv[2];
const dirs = new Set<string>();
const masters = new Set<number>();
let done = false;
let buffered = '';

function line(l: string): void {
  const [verb, ...rest] = l.split(' ');
  const arg = rest.join(' ');
  if (verb === 'done') done = true;
  else if (verb === 'dir') dirs.add(arg);
  else if (verb === 'undir') dirs.delete(arg);
  else if (verb === 'nginx') masters.add(Number(arg));
  else if (verb === 'unnginx') masters.delete(Number(arg));
}

const isNginxMaster = (pid: number) => {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('nginx: master'); } catch { return false; }
};

process.stdin.on('data', (d: Buffer) => {
  buffered += d.toString();
  for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) { line(buffered.slice(0, i)); buffered = buffered.slice(i + 1); }
});
process.stdin.on('close', () => {
  if (done || !name) process.exit(0);
  for (const pid of masters) {
    if (!isNginxMaster(pid)) continue; // gone, and the pid perhaps reused
    const workers = childPids(pid);
    killQuietly(pid, 'SIGKILL');
    for (const w of workers) killQuietly(w, 'SIGKILL');
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  void cleanupCluster(name).finally(() => process.exit(0));
});
