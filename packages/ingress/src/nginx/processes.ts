// nginx's worker processes, read from /proc (the master forks them; node only knows the master).
// Used to show that an endpoint change left the workers alone, and to make sure no worker
// survives its master.

import { readdirSync, readFileSync } from 'node:fs';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** the parent pid from /proc/<pid>/stat ("pid (comm) state ppid …"; comm may hold spaces) */
function parentOf(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(rest[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/** the process title nginx gives itself ("nginx: worker process", …) */
export function processTitle(pid: number): string | undefined {
  return readText(`/proc/${pid}/cmdline`)?.replace(/\0+$/, '').replace(/\0/g, ' ');
}

export function childPids(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const pid = Number(name);
    if (parentOf(pid) === ppid) out.push(pid);
  }
  return out.sort((a, b) => a - b);
}

/** workers serving the current configuration (not those shutting down after a reload) */
export function workerPids(masterPid: number): number[] {
  return childPids(masterPid).filter((pid) => processTitle(pid) === 'nginx: worker process');
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}
