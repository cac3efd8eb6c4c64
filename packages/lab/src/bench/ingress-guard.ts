// Cleaning up after `pnpm bench ingress`: each resource registers its cleanup with a Guard, which a
// signal handler runs; and a detached reaper process is told what would be left behind (temp dirs, nginx
// masters of the bench's own) and removes it, with the cluster, if this process dies without cleaning
// up (a second Ctrl-C under tsx can end in SIGKILL: see proxy-netns.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolveModule } from '@svclab/kube';

/** what the reaper removes if the bench dies without doing it (see ingress-reaper.ts) */
export interface Leftovers { dir?: string; nginx?: number }

export interface Reaper {
  /** `gone`: no longer to be removed */
  note(l: Leftovers, gone?: boolean): void;
  /** the bench cleaned up itself: the reaper exits without doing anything */
  release(): void;
}

/** the reaper: a detached process that cleans up after this one if it dies without doing it */
export function startReaper(name: string): Reaper {
  const script = fileURLToPath(new URL('ingress-reaper.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', resolveModule('tsx', import.meta.url), script, name], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.unref();
  (child.stdin as unknown as { unref(): void }).unref();
  const send = (l: string) => { if (child.stdin?.writable) child.stdin.write(l + '\n'); };
  return {
    note: (l, gone = false) => {
      if (l.dir) send(`${gone ? 'un' : ''}dir ${l.dir}`);
      if (l.nginx !== undefined) send(`${gone ? 'un' : ''}nginx ${l.nginx}`);
    },
    release: () => { child.stdin?.end('done\n'); },
  };
}

/** registers a cleanup that a signal handler runs (and what the reaper removes on a SIGKILL); returns its removal */
export type Guard = (cleanup: () => Promise<void>, leftovers?: Leftovers) => () => void;
