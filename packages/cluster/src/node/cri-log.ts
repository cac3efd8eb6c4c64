// Container logs in the CRI format kubelet reads (`<RFC3339Nano> <stdout|stderr> <F|P> <text>` per
// line), so `logs` and `attach` can tell a container's stdout from its stderr.
import { appendFileSync, createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
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

export interface CriEntry { time: string; stream: StreamName; text: string }

export function parseCriLine(line: string): CriEntry | undefined {
  const m = line.match(/^(\S+) (stdout|stderr) ([FP]) (.*)$/);
  if (!m) return undefined;
  return { time: m[1]!, stream: m[2] as StreamName, text: m[3] === 'F' ? `${m[4]}\n` : m[4]! };
}

/** What `kubectl logs` may ask of a log besides following it: --since / --since-time, --timestamps, --limit-bytes. */
export interface LogView {
  /** only entries written at or after this time (ms since the epoch) */
  since?: number;
  /** each line prefixed with its RFC 3339 time and a space, as kubelet does */
  timestamps?: boolean;
  /** the output stops after this many bytes */
  limitBytes?: number;
}

/** The byte offset where the last `lines` lines of the log start (kubelet's tail: whole CRI lines). */
export async function tailOffset(path: string, lines: number): Promise<number> {
  const f = await open(path, 'r').catch(() => undefined);
  if (!f) return 0;
  try {
    const { size } = await f.stat();
    if (lines <= 0) return size;
    const chunk = Buffer.alloc(64 * 1024);
    let seen = 0;
    // the last byte is the final line's own newline
    for (let end = size - 1; end > 0;) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await f.read(chunk, 0, end - start, start);
      for (let i = bytesRead - 1; i >= 0; i--) {
        if (chunk[i] === 0x0a && ++seen === lines) return start + i + 1;
      }
      end = start;
    }
    return 0;
  } finally {
    await f.close();
  }
}

/**
 * Reads the log from byte `from`, following it until `finished` resolves (when given) and all is read.
 * `merged` puts both streams on stdout in the order they were written (`kubectl logs`).
 */
export function readCriLog(path: string, from: number, finished?: Promise<unknown>, merged = false, view: LogView = {}): { stdout: Readable; stderr: Readable; stop: () => void } {
  const out = { stdout: new PassThrough(), stderr: new PassThrough() };
  let pos = from;
  let over = !finished;
  let stopped = false;
  let carry = '';
  let budget = view.limitBytes ?? Infinity;
  void finished?.then(() => { over = true; });
  const emit = (text: string) => {
    const lines = (carry + text).split('\n');
    carry = lines.pop()!;
    for (const l of lines) {
      const e = parseCriLine(l);
      if (!e || budget <= 0 || (view.since !== undefined && Date.parse(e.time) < view.since)) continue;
      let piece = view.timestamps ? `${e.time} ${e.text}` : e.text;
      if (Buffer.byteLength(piece) > budget) piece = Buffer.from(piece).subarray(0, budget).toString();
      budget -= Buffer.byteLength(piece);
      out[merged ? 'stdout' : e.stream].write(piece);
      if (budget <= 0) stopped = true;
    }
  };
  const end = () => { out.stdout.end(); out.stderr.end(); };
  const tick = async () => {
    // read before the size: `finished` resolving during the stat may follow a last write the stat missed
    const wasOver = over;
    const size = (await stat(path).catch(() => ({ size: pos }))).size;
    if (size > pos && !stopped) {
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
