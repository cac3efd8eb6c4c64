// Following a container's CRI log to its end (kubectl attach, logs -f): the last lines a container
// writes just before it exits must reach the client, even when the exit is noticed while the
// follower is between reading the file's size and deciding whether it is done.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const race = vi.hoisted(() => ({ armed: undefined as undefined | (() => void) }));

// the follower's stat: on the armed call the size is taken first, then the container writes its
// last line and exits, then the (now stale) size is returned: the interleaving that lost it
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    stat: async (...args: Parameters<typeof real.stat>) => {
      const st = await real.stat(...args);
      const then = race.armed;
      race.armed = undefined;
      then?.();
      return st;
    },
  };
});

const { readCriLog, tailOffset } = await import('../src/node/cri-log.js');

const dir = mkdtempSync(join(tmpdir(), 'svclab-cri-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const line = (stream: string, text: string) => `2026-01-01T00:00:00.000Z ${stream} F ${text}\n`;
const collect = (s: NodeJS.ReadableStream) => new Promise<string>((resolve) => { let t = ''; s.on('data', (d) => { t += String(d); }); s.on('end', () => resolve(t)); });

describe('readCriLog following a container to its exit', () => {
  it('delivers the last line written before the exit, when the exit is seen between the size check and the end check', async () => {
    const path = join(dir, 'container.log');
    writeFileSync(path, line('stdout', 'got: typed'));
    let exit!: () => void;
    const exited = new Promise<void>((resolve) => { exit = resolve; });
    const r = readCriLog(path, 0, exited);
    const [out, err] = [collect(r.stdout), collect(r.stderr)];
    // let the first read happen, then arm the race for a later poll
    await new Promise((resolve) => setTimeout(resolve, 20));
    race.armed = () => { appendFileSync(path, line('stderr', 'oops')); exit(); };
    expect(await out).toBe('got: typed\n');
    expect(await err).toBe('oops\n');
    expect(race.armed).toBeUndefined();
  });
});

describe('tailOffset (kubectl logs --tail)', () => {
  it('finds where the last N lines start, across read chunks', async () => {
    const path = join(dir, 'tail.log');
    const lines = Array.from({ length: 5000 }, (_, i) => line('stdout', `n${i}`));
    writeFileSync(path, lines.join(''));
    const text = lines.join('');
    expect(await tailOffset(path, 3)).toBe(text.length - lines.slice(-3).join('').length);
    expect(await tailOffset(path, 4000)).toBe(text.length - lines.slice(-4000).join('').length);
    expect(await tailOffset(path, 9999)).toBe(0);
    expect(await tailOffset(path, 0)).toBe(text.length);
    expect(await tailOffset(join(dir, 'missing.log'), 3)).toBe(0);
  });
});
