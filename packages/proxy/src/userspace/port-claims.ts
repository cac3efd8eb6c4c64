// Upstream's claimNodePort: userspace mode holds every NodePort (and a local external/load-balancer
// IP's port) open with a real socket, although iptables redirects the traffic away from it, so that
// no other program can take the port while a Service uses it, and a conflict shows up at once.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';

export interface PortClaim {
  /** undefined: every address (0.0.0.0) */
  ip?: string;
  port: number;
  protocol: 'TCP' | 'UDP';
  /** the Service port ("ns/svc:port") holding it */
  owner: string;
}

const claimKey = (c: PortClaim) => `${c.ip ?? '0.0.0.0'}:${c.port}/${c.protocol}`;

async function hold(c: PortClaim): Promise<Server | UdpSocket> {
  const host = c.ip ?? '0.0.0.0';
  if (c.protocol === 'TCP') {
    // anything that does reach it (traffic the rules do not redirect) is closed, not left hanging
    const server = createServer((s) => s.destroy());
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen({ host, port: c.port }, () => { server.off('error', reject); resolve(); }));
    return server;
  }
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(c.port, host, () => { socket.off('error', reject); resolve(); }); });
  return socket;
}

export class PortClaims {
  private readonly held = new Map<string, { owner: string; socket: Server | UdpSocket }>();

  /** Holds exactly the wanted ports; returns the claims that failed, with why (port in use, or owned by another Service port). */
  async sync<C extends PortClaim>(wanted: readonly C[]): Promise<Array<{ claim: C; error: string }>> {
    const want = new Map<string, PortClaim>();
    for (const c of wanted) if (!want.has(claimKey(c))) want.set(claimKey(c), c); // first come, first served
    for (const [key, h] of this.held) {
      if (want.get(key)?.owner !== h.owner) { h.socket.close(); this.held.delete(key); }
    }
    const failed: Array<{ claim: C; error: string }> = [];
    const owners = new Map<string, string>();
    for (const c of wanted) {
      const key = claimKey(c);
      const other = owners.get(key);
      if (other && other !== c.owner) { failed.push({ claim: c, error: `port conflict on ${key}: held for ${other}` }); continue; }
      owners.set(key, c.owner);
      if (this.held.has(key)) continue;
      try {
        this.held.set(key, { owner: c.owner, socket: await hold(c) });
      } catch (e) {
        failed.push({ claim: c, error: `can't open ${key}: ${(e as Error).message}` });
      }
    }
    return failed;
  }

  closeAll(): void {
    for (const h of this.held.values()) h.socket.close();
    this.held.clear();
  }
}
