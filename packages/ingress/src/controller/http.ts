// The controller's own HTTP port (10254 as ingress-nginx): /healthz for the readiness probe and
// Prometheus /metrics.
import { createServer, type Server } from 'node:http';

export interface HttpHandlers {
  health(): { ok: boolean; detail: string };
  metrics(): Promise<string>;
}

export function startControllerHttp(port: number, h: HttpHandlers, log: (m: string) => void): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      const { ok, detail } = h.health();
      res.writeHead(ok ? 200 : 500, { 'content-type': 'text/plain' }).end(detail + '\n');
    } else if (path === '/metrics') {
      h.metrics().then(
        (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
        (e: Error) => { log(`metrics: ${e.message}`); res.writeHead(500).end(e.message + '\n'); },
      );
    } else res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
  });
  return new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, '0.0.0.0', () => resolve(server)); });
}
