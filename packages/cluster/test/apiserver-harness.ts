// An apiserver on host loopback for API-semantics tests (no namespaces, no root needed).
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeletDirectory } from '../src/apiserver/kubelet.js';
import { bootstrap } from '../src/apiserver/bootstrap.js';
import { Registry } from '../src/apiserver/registry.js';
import { createApiServer } from '../src/apiserver/server.js';
import { Store } from '../src/apiserver/store.js';
import { kubeConfigFrom, kubeconfigYaml } from '../src/kubeconfig.js';
import { makePki } from '../src/pki.js';

export async function startApiServer(history = 10_000) {
  const dir = await mkdtemp(join(tmpdir(), 'svclab-api-'));
  const pki = await makePki(dir, { dns: ['localhost'], ips: ['127.0.0.1'] });
  const registry = new Registry(new Store(history), '10.96.0.0/12');
  bootstrap(registry, { ip: '172.18.0.2', port: 6443 }, '10.96.0.1');
  const server = createApiServer({ tls: { key: pki.serverKey, cert: pki.serverCert }, token: 't0ken', registry, kubelets: new KubeletDirectory(), advertise: '172.18.0.2:6443' });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kc = kubeConfigFrom(kubeconfigYaml({ cluster: 'test', server: url, caCert: pki.caCert, token: 't0ken' }));
  return {
    kc, url, caCert: pki.caCert, registry,
    async close() { server.closeAllConnections(); server.close(); await rm(dir, { recursive: true, force: true }); },
  };
}
