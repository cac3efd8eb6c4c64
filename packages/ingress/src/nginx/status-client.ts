// The runtime's HTTP client for nginx's status server (loopback): health with the config checksum,
// and the backends push. No keep-alive: each request should reach whichever worker generation is
// current, never a connection held by a worker that is shutting down.

import { request } from 'node:http';

export interface StatusEndpoint { address: string; port: number }

export interface StatusReply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

export function statusRequest(ep: StatusEndpoint, method: 'GET' | 'POST', path: string, body?: string, timeoutMs = 5000): Promise<StatusReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: ep.address, port: ep.port, method, path, agent: false, timeout: timeoutMs,
        headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`status server ${ep.address}:${ep.port} did not answer ${method} ${path} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** the checksum /healthz answers, or undefined while nothing answers */
export async function servingChecksum(ep: StatusEndpoint): Promise<string | undefined> {
  try {
    const r = await statusRequest(ep, 'GET', '/healthz', undefined, 1000);
    const h = r.headers['x-config-checksum'];
    return r.status === 200 && typeof h === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}
