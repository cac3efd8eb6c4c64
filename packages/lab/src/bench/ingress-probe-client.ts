// The bench's side of the HTTP probe (ingress-probe.ts), which runs in the client host's network
// namespace: one JSON command per line out, one JSON answer per line back.
import { Lines, resolveModule } from '@svclab/kube';
import { execa, type ResultPromise } from 'execa';
import { fileURLToPath } from 'node:url';

export class Probe {
  private readonly lines: Lines;
  constructor(readonly child: ResultPromise) { this.lines = new Lines(child, 'the HTTP probe in the client host'); }

  static async start(clientNs: string): Promise<Probe> {
    const path = fileURLToPath(new URL('ingress-probe.ts', import.meta.url));
    const child = execa('nsenter', [`--net=/run/netns/${clientNs}`, '--', process.execPath, '--import', resolveModule('tsx', import.meta.url), path],
      { stdin: 'pipe', stderr: 'pipe', reject: false, buffer: false });
    const p = new Probe(child);
    const hello = await p.lines.json<{ ready?: boolean }>(60_000);
    if (!hello.ready) throw new Error(`the probe said ${JSON.stringify(hello)}`);
    return p;
  }

  async ask<T>(o: object, timeoutMs = 60_000): Promise<T> {
    this.lines.send(o);
    const r = await this.lines.json<T & { error?: string }>(timeoutMs);
    if (r.error) throw new Error(r.error);
    return r;
  }

  /** the next answer line (after an "until" was armed) */
  async next<T>(timeoutMs: number): Promise<T> {
    const r = await this.lines.json<T & { error?: string }>(timeoutMs);
    if (r.error) throw new Error(r.error);
    return r;
  }

  stop(): void { this.child.kill('SIGKILL'); }
}
