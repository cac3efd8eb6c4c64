// Health-check NodePorts of externalTrafficPolicy: Local Services (pkg/proxy/healthcheck): an HTTP
// server per healthCheckNodePort answering 200 when this node has local endpoints, 503 when not, with
// upstream's JSON body, so a load balancer sends traffic only to nodes that can serve it.
import { createServer, type Server } from 'node:http';
import { usable, type ServicePort } from './service-ports.js';

interface Check { namespace: string; name: string; localEndpoints: number }

export class HealthCheckServers {
  private readonly servers = new Map<number, { server: Server; check: Check }>();

  constructor(private readonly log: (m: string) => void) {}

  update(ports: ServicePort[], nodeName: string | undefined): void {
    const want = new Map<number, Check>();
    for (const sp of ports) {
      if (!sp.externalLocal || !sp.healthCheckNodePort) continue;
      const local = usable(sp.endpoints.filter((e) => e.nodeName === nodeName)).length;
      const prev = want.get(sp.healthCheckNodePort);
      want.set(sp.healthCheckNodePort, { namespace: sp.namespace, name: sp.service, localEndpoints: Math.max(prev?.localEndpoints ?? 0, local) });
    }
    for (const [port, entry] of this.servers) if (!want.has(port)) { entry.server.close(); this.servers.delete(port); }
    for (const [port, check] of want) {
      const running = this.servers.get(port);
      if (running) { running.check = check; continue; }
      const entry = { server: createServer((_req, res) => {
        const c = entry.check;
        res.writeHead(c.localEndpoints > 0 ? 200 : 503, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' });
        res.end(JSON.stringify({ service: { namespace: c.namespace, name: c.name }, localEndpoints: c.localEndpoints, serviceProxyHealthy: true }));
      }), check };
      entry.server.on('error', (e) => this.log(`health check port ${port}: ${e.message}`));
      entry.server.listen(port);
      this.servers.set(port, entry);
    }
  }

  closeAll(): void {
    for (const { server } of this.servers.values()) server.close();
    this.servers.clear();
  }
}
