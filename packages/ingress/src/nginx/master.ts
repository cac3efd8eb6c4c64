// The nginx master as a child process: started in the foreground (`daemon off;` is in the
// config) so its lifetime is ours; its stderr (the error log, workers included) is split into
// lines for the caller. A process-exit hook kills every master still running and its workers, so
// a crashed test or controller never leaves nginx behind.

import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { childPids, isAlive, killQuietly, processTitle } from './processes.js';

const live = new Set<NginxMaster>();
let hookInstalled = false;

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  // Synchronous on purpose: 'exit' handlers cannot await. Workers are listed before the master is
  // killed (afterwards they are re-parented and harder to find), then both are SIGKILLed; the
  // master first, so it cannot respawn a worker.
  process.on('exit', () => {
    for (const m of live) m.killNow();
  });
}

export interface ExitInfo { code: number | undefined; signal: string | undefined }

export class NginxMaster {
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  private running = true;
  private readonly recent: string[] = [];
  private seq = 0;

  private constructor(child: ResultPromise, onLine: (line: string) => void) {
    if (child.pid === undefined) throw new Error('nginx did not start (no pid)');
    this.pid = child.pid;
    live.add(this);
    installExitHook();
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        this.seq++;
        this.recent.push(line);
        if (this.recent.length > 200) this.recent.shift();
        onLine(line);
      });
    }
    this.exited = child.then(
      (r) => ({ code: r.exitCode, signal: r.signal }),
      (e: { exitCode?: number; signal?: string }) => ({ code: e.exitCode, signal: e.signal }),
    ).then((info) => {
      this.running = false;
      live.delete(this);
      return info;
    });
  }

  /** `nginx -p <prefix> -c <conf>` in the foreground */
  static spawn(nginx: string, prefix: string, conf: string, onLine: (line: string) => void): NginxMaster {
    const child = execa(nginx, ['-p', prefix.endsWith('/') ? prefix : `${prefix}/`, '-c', conf], {
      stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', buffer: false, reject: false,
      // execa's own cleanup: SIGTERM (nginx's fast shutdown) when this process exits on a signal
      cleanup: true,
    });
    return new NginxMaster(child, onLine);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** a position in the stderr stream, for linesSince */
  get lineSeq(): number {
    return this.seq;
  }

  /** the stderr lines after position `seq` (as far as the last 200 lines reach back) */
  linesSince(seq: number): string[] {
    const n = Math.min(this.seq - seq, this.recent.length);
    return n > 0 ? this.recent.slice(-n) : [];
  }

  lastLines(n: number): string[] {
    return this.recent.slice(-n);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) killQuietly(this.pid, sig);
  }

  /** SIGQUIT (graceful, as `nginx -s quit`), then SIGTERM, then SIGKILL; never leaves a worker */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.running) return;
    const workers = childPids(this.pid);
    const steps: [NodeJS.Signals, number][] = [['SIGQUIT', timeoutMs], ['SIGTERM', 2000]];
    for (const [sig, wait] of steps) {
      this.signal(sig);
      const done = await Promise.race([this.exited.then(() => true), delay(wait).then(() => false)]);
      if (done) break;
    }
    if (this.running) this.killNow();
    await Promise.race([this.exited, delay(2000)]);
    // a worker outliving its master (re-parented); the title check guards against pid reuse
    for (const pid of workers) if (isAlive(pid) && processTitle(pid)?.startsWith('nginx:')) killQuietly(pid, 'SIGKILL');
  }

  /** SIGKILL the master and its children, synchronously */
  killNow(): void {
    const children = childPids(this.pid);
    killQuietly(this.pid, 'SIGKILL');
    for (const pid of children) killQuietly(pid, 'SIGKILL');
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
