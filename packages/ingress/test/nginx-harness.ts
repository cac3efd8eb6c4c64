// Live-test helpers: small node:http backends on loopback addresses that echo what they received,
// free ports, requests to nginx with a chosen Host / SNI, and an NginxRuntime rooted in a temp
// dir with high ports (no netns or root-only ports needed).

import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest, createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { execa } from 'execa';
import type { Certificate } from '../src/model.js';
import { renderEnvFor, type RenderEnv } from '../src/render/env.js';
import { NginxRuntime } from '../src/nginx/runtime.js';

export interface EchoBackend {
  name: string;
  address: string;
  port: number;
  /** requests received, newest last */
  seen: { url: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** answers every request with JSON { backend, url, headers } */
export async function startEchoBackend(name: string, address: string): Promise<EchoBackend> {
  const seen: EchoBackend['seen'] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ backend: name, url: req.url, headers: req.headers }));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    name, address, port, seen,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export async function freePort(address: string): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, address, () => resolve());
  });
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Reply { status: number; headers: IncomingHttpHeaders; body: string; json?: { backend: string; url: string; headers: Record<string, string> } }

function collect(res: import('node:http').IncomingMessage, resolve: (r: Reply) => void, reject: (e: Error) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('error', reject);
  res.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let json: Reply['json'];
    if (String(res.headers['content-type']).startsWith('application/json')) {
      try { json = JSON.parse(body) as Reply['json']; } catch { /* not ours */ }
    }
    resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
  });
}

export interface RequestOpts {
  host: string;
  path?: string;
  headers?: Record<string, string>;
  method?: string;
  body?: string;
  /** the client's source address (nginx's $remote_addr) */
  localAddress?: string;
}

/** a plain-http request to nginx with the given Host header (one connection per request) */
export function get(address: string, port: number, o: RequestOpts): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: address, port, path: o.path ?? '/', method: o.method ?? 'GET', agent: false, localAddress: o.localAddress, headers: { host: o.host, ...o.headers } },
      (res) => collect(res, resolve, reject),
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** an https request with SNI = host (certificate not verified: it is the thing under test) */
export function getTls(address: string, port: number, o: RequestOpts): Promise<Reply & { certificate: PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: address, port, path: o.path ?? '/', method: 'GET', agent: false, servername: o.host, rejectUnauthorized: false, headers: { host: o.host, ...o.headers } },
      (res) => {
        const certificate = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
        collect(res, (r) => resolve({ ...r, certificate }), reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** the certificate nginx presents for an SNI name (or none), without an HTTP request */
export function peerCertificate(address: string, port: number, servername?: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: address, port, ...(servername ? { servername } : {}), rejectUnauthorized: false }, () => {
      const c = s.getPeerCertificate();
      s.end();
      resolve(c);
    });
    s.on('error', reject);
  });
}

/** a self-signed certificate for `host`, as a model Certificate (id = shortened sha-256) */
export async function selfSignedCertificate(host: string, secret = `${host}-tls`): Promise<Certificate> {
  const dir = await mkdtemp(join(tmpdir(), 'svclab-cert-'));
  try {
    await execa('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${host}`,
      '-addext', `subjectAltName=DNS:${host}`, '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'),
    ]);
    const pem = (await readFile(join(dir, 'c.pem'), 'utf8')) + (await readFile(join(dir, 'k.pem'), 'utf8'));
    return { id: createHash('sha256').update(pem).digest('hex').slice(0, 16), secret: { namespace: 'default', name: secret }, pem, hosts: [host] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface Lab {
  runtime: NginxRuntime;
  env: RenderEnv;
  /** where nginx's public listeners are */
  address: string;
  http: number;
  https: number;
  logs: string[];
  cleanup(): Promise<void>;
}

/** an NginxRuntime (not started) on `address` with free high ports and 2 workers */
export async function makeLab(address: string): Promise<Lab> {
  const stateDir = await mkdtemp(join(tmpdir(), 'svclab-nginx-'));
  const [http, https, status, defaultBackend] = [await freePort(address), await freePort(address), await freePort('127.0.0.1'), await freePort('127.0.0.1')];
  const env = renderEnvFor(stateDir, {
    bind: [address],
    ports: { http, https, status, defaultBackend },
    workerProcesses: 2,
    workerConnections: 1024,
    workerShutdownTimeout: 10,
    errorLogLevel: 'warn',
  });
  const logs: string[] = [];
  const runtime = new NginxRuntime({ env, log: (l) => logs.push(l), stopTimeoutMs: 5000 });
  return {
    runtime, env, address, http, https, logs,
    cleanup: async () => {
      await runtime.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** polls cond (for things that arrive asynchronously, like nginx's stderr lines); no timing assertion */
export async function waitFor(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
}
