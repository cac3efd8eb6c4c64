// Container logs in the CRI format kubelet reads (`<RFC3339Nano> <stdout|stderr> <F|P> <text>` per
// line), so `logs` and `attach` can tell a container's stdout from its stderr.
import { appendFileSync, createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';

export type StreamName = 'stdout' | 'stderr';

/** Appends a stream's output to the log, one CRI line per line of output (P for a trailing partial line). */
export function writeCriLog(path: string, stream: StreamName, source: Readable): Promise<void> {
  let rest = '';
  const write = (text: string, tag: 'F' | 'P') => appendFileSync(path, `${new Date().toISOString()} ${stream} ${tag} ${text}\n`);
  source.setEncoding('utf8');
  source.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const l of lines) write(l, 'F');
  });
  return new Promise((resolve) => source.once('close', () => { if (rest) write(rest, 'P'); resolve(); }));
}

export interface CriEntry { stream: StreamName; text: string }

export function parseCriLine(line: string): CriEntry | undefined {
  const m = line.match(/^\S+ (stdout|stderr) ([FP]) (.*)$/);
  if (!m) return undefined;
  return { stream: m[1] as StreamName, text: m[2] === 'F' ? `${m[3]}\n` : m[3]! };
}

/**
 * Reads the log from byte `from`, following it until `finished` resolves (when given) and all is read.
 * `merged` puts both streams on stdout in the order they were written (`kubectl logs`).
 */
export function readCriLog(path: string, from: number, finished?: Promise<unknown>, merged = false): { stdout: Readable; stderr: Readable; stop: () => void } {
  const out = { stdout: new PassThrough(), stderr: new PassThrough() };
  let pos = from;
  let over = !finished;
  let stopped = false;
  let carry = '';
  void finished?.then(() => { over = true; });
  const emit = (text: string) => {
    const lines = (carry + text).split('\n');
    carry = lines.pop()!;
    for (const l of lines) { const e = parseCriLine(l); if (e) out[merged ? 'stdout' : e.stream].write(e.text); }
  };
  const end = () => { out.stdout.end(); out.stderr.end(); };
  const tick = async () => {
    // read before the size: `finished` resolving during the stat may follow a last write the stat missed
    const wasOver = over;
    const size = (await stat(path).catch(() => ({ size: pos }))).size;
    if (size > pos) {
      await new Promise<void>((resolve) => createReadStream(path, { start: pos, end: size - 1, encoding: 'utf8' })
        .on('data', (d) => emit(d as string)).on('end', resolve).on('error', () => resolve()));
      pos = size;
      return void setImmediate(() => void tick());
    }
    if (wasOver || stopped || out.stdout.destroyed) return end();
    setTimeout(() => void tick(), 50);
  };
  void tick();
  return { ...out, stop: () => { stopped = true; } };
}

export async function logSize(path: string): Promise<number> {
  return (await stat(path).catch(() => ({ size: 0 }))).size;
}
