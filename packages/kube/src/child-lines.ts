// A line channel to a child process: its stdout read one line at a time (with a timeout, and the
// child's exit and stderr as the error once it is gone), JSON lines sent to its stdin. Used by the
// benches and tests that drive a helper process.
import type { Readable, Writable } from 'node:stream';

/** what Lines needs of a child: execa's subprocess fits */
export interface LineChild extends PromiseLike<{ exitCode?: number; signal?: string }> {
  stdout: Readable | null;
  stderr: Readable | null;
  stdin: Writable | null;
}

/** Reads a child's stdout one line at a time. */
export class Lines {
  private readonly queue: string[] = [];
  private waiting?: { resolve: (l: string) => void; reject: (e: Error) => void };
  private ended?: Error;
  private stderr = '';

  constructor(private readonly child: LineChild, private readonly what: string) {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (this.waiting) { const w = this.waiting; this.waiting = undefined; w.resolve(line); } else this.queue.push(line);
      }
    });
    child.stderr!.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
    void child.then((r) => {
      this.ended = new Error(`${what} exited (code ${r.exitCode ?? r.signal}): ${this.stderr.trim() || '(no stderr)'}`);
      if (this.waiting) { const w = this.waiting; this.waiting = undefined; w.reject(this.ended); }
    });
  }

  next(timeoutMs = 600_000): Promise<string> {
    const l = this.queue.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting = undefined; reject(new Error(`${this.what}: no answer in ${timeoutMs / 1000} s`)); }, timeoutMs);
      this.waiting = { resolve: (v) => { clearTimeout(timer); resolve(v); }, reject: (e) => { clearTimeout(timer); reject(e); } };
    });
  }

  /** the next line as JSON */
  async json<T>(timeoutMs?: number): Promise<T> { return JSON.parse(await this.next(timeoutMs)) as T; }

  send(o: object): void { this.child.stdin!.write(JSON.stringify(o) + '\n'); }
}
