// The apiserver alone on host loopback (no nodes, no controllers), for benchmarks and API experiments:
// prints {url, token, caCert, pid} as one JSON line, serves until SIGTERM.
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { makePki } from '../pki.js';
import { bootstrap } from './bootstrap.js';
import { KubeletDirectory } from './kubelet.js';
import { Registry } from './registry.js';
import { createApiServer } from './server.js';
import { Store } from './store.js';

const dir = await mkdtemp(join(tmpdir(), 'svclab-apiserver-'));
const pki = await makePki(dir, { dns: ['localhost'], ips: ['127.0.0.1'] });
const token = randomBytes(24).toString('hex');
const registry = new Registry(new Store(), '10.96.0.0/12');
bootstrap(registry, undefined, '10.96.0.1');
const server = createApiServer({ tls: { key: pki.serverKey, cert: pki.serverCert }, token, registry, kubelets: new KubeletDirectory(), advertise: '127.0.0.1:6443' });
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
process.stdout.write(JSON.stringify({ url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, token, caCert: pki.caCert, pid: process.pid }) + '\n');
const stop = () => { server.closeAllConnections(); server.close(); void rm(dir, { recursive: true, force: true }).then(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
