// One Service port's UDP socket (upstream's udpProxySocket). Datagrams from each client address
// ("ip:port") share a session: a socket connected to the endpoint picked for that client's first
// datagram. Replies go back to the client from the Service socket, so the REDIRECT's conntrack entry
// turns their source back into the Service address.
//
// Idle timeout: upstream's --udp-timeout (default 250ms) is a deadline on the session socket, pushed
// forward after every datagram in either direction; when it passes with no traffic the session
// closes and the client's next datagram starts a new one (a new pick, unless affinity pins it).
// We keep exactly that: sessions live while traffic flows, and go after udpIdleTimeoutMs of silence.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { dialEndpoint, splitEndpoint, type PickEndpoint } from './endpoint-dial.js';

/** upstream's UDPIdleTimeout default (pkg/proxy/apis/config/v1alpha1/defaults.go) */
export const UDP_IDLE_TIMEOUT_MS = 250;

export interface UdpProxyStats {
  /** sessions opened */
  sessions: number;
  /** sessions open now */
  active: number;
  dialFailures: number;
  /** datagrams dropped because the Service port had no usable endpoint */
  noEndpoints: number;
}

interface Session {
  /** undefined while connecting; datagrams wait in `queued` */
  socket?: Socket;
  queued: Buffer[];
  idle: NodeJS.Timeout;
}

/** a UDP "dial" is connect(): it fails only when there is no route, and sends nothing */
function dialUdp(endpoint: string, timeoutMs: number): Promise<Socket> {
  const { host, port } = splitEndpoint(endpoint);
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const fail = (e: Error) => { clearTimeout(timer); s.close(); reject(e); };
    const timer = setTimeout(() => fail(new Error(`connect took over ${timeoutMs} ms`)), timeoutMs);
    s.once('error', fail);
    s.connect(port, host, () => { clearTimeout(timer); s.off('error', fail); resolve(s); });
  });
}

export class UdpProxy {
  readonly stats: UdpProxyStats = { sessions: 0, active: 0, dialFailures: 0, noEndpoints: 0 };
  private readonly sessions = new Map<string, Session>();

  private constructor(private readonly socket: Socket, readonly port: number, private readonly pick: PickEndpoint,
    private readonly log: (m: string) => void, readonly name: string, private readonly idleMs: number) {}

  static async bind(name: string, host: string, port: number, pick: PickEndpoint, log: (m: string) => void, idleMs = UDP_IDLE_TIMEOUT_MS): Promise<UdpProxy> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(port, host, () => { socket.off('error', reject); resolve(); }); });
    const proxy = new UdpProxy(socket, socket.address().port, pick, log, name, idleMs);
    socket.on('message', (msg, from) => proxy.fromClient(msg, from));
    socket.on('error', (e) => log(`${name}: socket error: ${e.message}`));
    return proxy;
  }

  private fromClient(msg: Buffer, from: RemoteInfo): void {
    const key = `${from.address}:${from.port}`;
    const known = this.sessions.get(key);
    if (known) {
      known.idle.refresh();
      if (known.socket) known.socket.send(msg);
      else known.queued.push(msg);
      return;
    }
    const session: Session = { queued: [msg], idle: setTimeout(() => this.end(key), this.idleMs) };
    this.sessions.set(key, session);
    this.stats.sessions++;
    this.stats.active++;
    void dialEndpoint(this.pick, from.address, dialUdp, (endpoint, e) => {
      this.stats.dialFailures++;
      this.log(`${this.name}: dial ${endpoint} failed: ${e.message}`);
    }).then((dialed) => {
      if (!dialed.ok) {
        if (dialed.reason === 'no-endpoints') this.stats.noEndpoints++;
        this.end(key);
        return;
      }
      const s = dialed.conn;
      if (this.sessions.get(key) !== session) { s.close(); return; } // timed out or closed meanwhile
      session.socket = s;
      s.on('message', (reply) => {
        session.idle.refresh();
        this.socket.send(reply, from.port, from.address);
      });
      // an ICMP port unreachable from the endpoint surfaces here: end the session, as upstream's read error does
      s.on('error', () => this.end(key));
      for (const q of session.queued.splice(0)) s.send(q);
    });
  }

  private end(key: string): void {
    const session = this.sessions.get(key);
    if (!session) return;
    this.sessions.delete(key);
    this.stats.active--;
    clearTimeout(session.idle);
    session.socket?.close();
  }

  /** closes the Service socket and every session (upstream: closing a UDP proxy breaks its sessions) */
  async close(): Promise<void> {
    for (const key of [...this.sessions.keys()]) this.end(key);
    await new Promise<void>((resolve) => { try { this.socket.close(() => resolve()); } catch { resolve(); } });
  }
}
