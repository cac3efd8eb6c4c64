// One Service port's TCP listener (upstream's tcpProxySocket): accept, pick an endpoint, connect with
// the retry schedule, then copy bytes both ways. The endpoint sees the connection come from this
// node, not from the client: userspace mode does not keep the client's address.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { dialEndpoint, splitEndpoint, type PickEndpoint } from './endpoint-dial.js';

export interface TcpProxyStats {
  accepted: number;
  /** connections being proxied now */
  active: number;
  /** endpoint connect attempts that failed (and were retried on another endpoint while tries remained) */
  dialFailures: number;
  /** connections closed at once because the Service port had no usable endpoint */
  noEndpoints: number;
  /** connections closed because every try failed */
  unreachable: number;
}

function dialTcp(endpoint: string, timeoutMs: number): Promise<Socket> {
  const { host, port } = splitEndpoint(endpoint);
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, allowHalfOpen: true });
    const fail = (e: Error) => { clearTimeout(timer); s.destroy(); reject(e); };
    const timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    s.once('error', fail);
    s.once('connect', () => { clearTimeout(timer); s.off('error', fail); resolve(s); });
  });
}

export class TcpProxy {
  readonly stats: TcpProxyStats = { accepted: 0, active: 0, dialFailures: 0, noEndpoints: 0, unreachable: 0 };
  private readonly open = new Set<Socket>();

  private constructor(private readonly server: Server, readonly port: number, private readonly pick: PickEndpoint, private readonly log: (m: string) => void, readonly name: string) {}

  /** listens on host:port (port 0: the kernel picks one, as upstream's default port allocator does) */
  static async listen(name: string, host: string, port: number, pick: PickEndpoint, log: (m: string) => void): Promise<TcpProxy> {
    // pauseOnConnect: read nothing from the client until an endpoint is connected, as upstream;
    // allowHalfOpen: a client's FIN is passed on, and the reply still flows back
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen({ host, port }, () => { server.off('error', reject); resolve(); }));
    const proxy = new TcpProxy(server, (server.address() as AddressInfo).port, pick, log, name);
    server.on('connection', (client) => void proxy.accept(client));
    server.on('error', (e) => log(`${name}: listener error: ${e.message}`));
    return proxy;
  }

  private async accept(client: Socket): Promise<void> {
    this.stats.accepted++;
    this.track(client);
    client.on('error', () => undefined); // a client reset while we dial: handled when piping, or by the close below
    const dialed = await dialEndpoint(this.pick, client.remoteAddress ?? '', dialTcp, (endpoint, e) => {
      this.stats.dialFailures++;
      this.log(`${this.name}: dial ${endpoint} failed: ${e.message}`);
    });
    if (!dialed.ok) {
      // upstream closes the accepted connection at once: the client sees a close (or a reset if it
      // already sent data), not a hang
      if (dialed.reason === 'no-endpoints') this.stats.noEndpoints++;
      else { this.stats.unreachable++; this.log(`${this.name}: no endpoint reachable: ${dialed.errors.join('; ')}`); }
      client.destroy();
      return;
    }
    const upstream = dialed.conn;
    if (client.destroyed) { upstream.destroy(); return; }
    this.track(upstream);
    this.pipe(client, upstream);
  }

  /**
   * Copies both ways. A FIN from either side ends the other side's writing half (pipe's end()), so a
   * client that shuts down its sending side still gets the whole reply; upstream closed both sockets
   * as soon as either direction ended. An error on either side (a reset) drops both.
   */
  private pipe(client: Socket, upstream: Socket): void {
    this.stats.active++;
    const drop = () => { client.destroy(); upstream.destroy(); };
    client.on('error', drop);
    upstream.on('error', drop);
    let closed = 0;
    const onClose = () => { if (++closed === 2) this.stats.active--; };
    client.once('close', onClose);
    upstream.once('close', onClose);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private track(s: Socket): void {
    this.open.add(s);
    s.once('close', () => this.open.delete(s));
  }

  /** client and endpoint sockets still open */
  get openSockets(): number { return this.open.size; }

  /** stops accepting; connections already proxied carry on (upstream: closing the listener leaves them) */
  stop(): void {
    if (this.server.listening) this.server.close();
  }

  /** stops accepting and drops every connection (kube-proxy is going away) */
  async close(): Promise<void> {
    const gone = [...this.open].map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
    if (this.server.listening) gone.push(new Promise<void>((resolve) => this.server.close(() => resolve())));
    for (const s of this.open) s.destroy();
    await Promise.all(gone);
  }
}
