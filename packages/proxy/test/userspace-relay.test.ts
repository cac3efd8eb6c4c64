// The TCP and UDP relays on their own, on 127.0.0.1 (no iptables): half-close, closing when there is
// nothing to reach, UDP sessions and their idle timeout.
import { createSocket } from 'node:dgram';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpProxy } from '../src/userspace/tcp-proxy.js';
import { UdpProxy } from '../src/userspace/udp-proxy.js';

const quiet = () => undefined;
const cleanups: Array<() => unknown> = [];
afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });

/** an endpoint that answers only once the client has finished sending (it needs the half-close) */
async function countOnEof(): Promise<string> {
  const server: Server = createServer({ allowHalfOpen: true }, (s) => {
    let n = 0;
    s.on('data', (d: Buffer) => { n += d.length; });
    s.on('end', () => s.end(`got ${n} bytes`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => server.close());
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function exchange(port: number, send: string | undefined): Promise<{ reply: string; error?: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let reply = '';
    let error: string | undefined;
    s.on('data', (d: Buffer) => { reply += d.toString(); });
    s.on('error', (e) => { error = e.message; });
    s.on('close', () => resolve({ reply, error, ms: Date.now() - t0 }));
    s.on('end', () => s.end());
    if (send !== undefined) { s.write(send); s.end(); }
  });
}

describe('userspace TCP relay', () => {
  it('passes a client\'s half-close on and still delivers the whole reply', async () => {
    const ep = await countOnEof();
    const proxy = await TcpProxy.listen('t/half', '127.0.0.1', 0, () => ep, quiet);
    cleanups.push(() => proxy.close());
    expect(await exchange(proxy.port, 'x'.repeat(100_000))).toMatchObject({ reply: 'got 100000 bytes', error: undefined });
    expect(proxy.stats).toMatchObject({ accepted: 1, dialFailures: 0 });
  });

  it('closes the connection at once when there is no endpoint', async () => {
    const proxy = await TcpProxy.listen('t/none', '127.0.0.1', 0, () => undefined, quiet);
    cleanups.push(() => proxy.close());
    const r = await exchange(proxy.port, undefined);
    expect(r.reply).toBe('');
    expect(r.ms).toBeLessThan(500);
    expect(proxy.stats.noEndpoints).toBe(1);
  });

  it('close() drops the connections it carries; stop() only stops accepting', async () => {
    // an endpoint that never answers nor closes
    const held = new Set<Socket>();
    const silent = createServer((s) => held.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(() => { for (const s of held) s.destroy(); silent.close(); });
    const ep = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const proxy = await TcpProxy.listen('t/close', '127.0.0.1', 0, () => ep, quiet);
    const pending = exchange(proxy.port, undefined);
    await new Promise((r) => setTimeout(r, 100));
    proxy.stop();
    await expect(exchange(proxy.port, undefined)).resolves.toMatchObject({ error: expect.stringContaining('ECONNREFUSED') });
    expect(proxy.openSockets).toBe(2); // the first connection carries on
    await proxy.close();
    await expect(pending).resolves.toMatchObject({ reply: '' });
    expect(proxy.openSockets).toBe(0);
  });
});

describe('userspace UDP relay', () => {
  it('keeps one session per client address while traffic flows, and a new one (a new pick) after the idle timeout', async () => {
    const echo = createSocket('udp4');
    echo.on('message', (m, from) => echo.send(m, from.port, from.address));
    await new Promise<void>((r) => echo.bind(0, '127.0.0.1', r));
    cleanups.push(() => echo.close());
    let picks = 0;
    const proxy = await UdpProxy.bind('u/echo', '127.0.0.1', 0, () => { picks++; return `127.0.0.1:${echo.address().port}`; }, quiet, 200);
    cleanups.push(() => proxy.close());
    const client = createSocket('udp4');
    cleanups.push(() => client.close());
    const replies: string[] = [];
    client.on('message', (m) => replies.push(m.toString()));
    const send = async (m: string) => { client.send(m, proxy.port, '127.0.0.1'); await new Promise((r) => setTimeout(r, 100)); };
    await send('one');
    await send('two'); // within 200 ms of the reply: same session
    expect(proxy.stats).toMatchObject({ sessions: 1, active: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(proxy.stats.active).toBe(0);
    await send('three');
    expect(replies).toEqual(['one', 'two', 'three']);
    expect(proxy.stats.sessions).toBe(2);
    expect(picks).toBe(2);
  });
});
