// The traffic side of `pnpm bench proxy`, run inside the bench's network namespaces:
//   serve <port>                     an endpoint on every local address: counts each connection's bytes
//                                    and answers the count when the client has sent everything
//   connect <ip> <port> <n> <warmup> n sequential TCP connects; prints {"us":[…]}: the time from
//                                    connect() to the 'connect' event (SYN out, SYN/ACK back), µs
//   send <ip> <port> <bytes> <runs>  bulk transfers, one connection each, after one unmeasured; prints
//                                    {"ms":[…]}: from connect() to the server's byte count arriving
// Each prints "ready" (serve) or one JSON line, then exits (serve runs until killed).
import { connect, createServer, type Socket } from 'node:net';

const [mode, ...args] = process.argv.slice(2);

function serve(port: number): void {
  const server = createServer((s) => {
    let bytes = 0;
    s.on('data', (d: Buffer) => { bytes += d.length; });
    s.on('end', () => s.end(`${bytes}\n`));
    s.on('error', () => undefined);
  });
  server.listen(port, '0.0.0.0', () => process.stdout.write('ready\n'));
}

function opened(ip: string, port: number): Promise<{ socket: Socket; us: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const socket = connect({ host: ip, port });
    socket.once('connect', () => { socket.setTimeout(0); resolve({ socket, us: Number(process.hrtime.bigint() - t0) / 1000 }); });
    socket.once('error', reject);
    // no answer at all (rules missing): fail in seconds rather than after the SYN retries
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer from ${ip}:${port} in 5 s`)));
  });
}

async function connects(ip: string, port: number, n: number, warmup: number): Promise<void> {
  const us: number[] = [];
  for (let i = 0; i < warmup + n; i++) {
    const c = await opened(ip, port);
    c.socket.destroy();
    if (i >= warmup) us.push(c.us);
  }
  process.stdout.write(JSON.stringify({ us }) + '\n');
}

async function send(ip: string, port: number, bytes: number, runs: number): Promise<void> {
  const chunk = Buffer.alloc(1 << 20, 7);
  const ms: number[] = [];
  for (let r = 0; r <= runs; r++) {
    const t0 = performance.now();
    const { socket } = await opened(ip, port);
    let reply = '';
    socket.setEncoding('utf8');
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (d: string) => { reply += d; });
      socket.once('end', () => resolve());
      socket.once('error', reject);
    });
    for (let sent = 0; sent < bytes; sent += chunk.length) {
      const part = bytes - sent < chunk.length ? chunk.subarray(0, bytes - sent) : chunk;
      if (!socket.write(part)) await new Promise((resolve) => socket.once('drain', resolve));
    }
    socket.end();
    await done;
    if (Number(reply.trim()) !== bytes) throw new Error(`the server received ${reply.trim() || 'nothing'} of ${bytes} bytes`);
    if (r > 0) ms.push(performance.now() - t0);
  }
  process.stdout.write(JSON.stringify({ ms }) + '\n');
}

const n = (i: number) => Number(args[i]);
const run = mode === 'serve' ? Promise.resolve(serve(n(0)))
  : mode === 'connect' ? connects(args[0]!, n(1), n(2), n(3))
    : mode === 'send' ? send(args[0]!, n(1), n(2), n(3))
      : Promise.reject(new Error(`unknown mode ${mode}`));
run.then(() => { if (mode !== 'serve') process.exit(0); }, (e: Error) => { process.stderr.write(`proxy-probe ${mode}: ${e.message}\n`); process.exit(1); });
