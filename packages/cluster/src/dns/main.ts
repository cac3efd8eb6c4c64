// The cluster DNS program (the coredns image's /coredns): watches Services and EndpointSlices with
// the pod's service account and answers for cluster.local on port 53, UDP and TCP, as CoreDNS's
// kubernetes plugin configured as kind configures it. /health on :8080 answers once it runs, /ready
// on :8181 once both informers have listed (CoreDNS's ready plugin waits for the kubernetes plugin),
// Prometheus /metrics on :9153.
import { createServer } from 'node:http';
import { CoreV1Api, DiscoveryV1Api, type KubernetesObject, type V1EndpointSlice, type V1Service } from '@kubernetes/client-node';
import { loadKubeConfig, startInformer, type RunningInformer, type WatchSpec } from '@svclab/kube';
import { DnsMetrics } from './metrics.js';
import { serveDns } from './server.js';
import { answer } from './zone.js';

const log = (m: string) => process.stderr.write(`${new Date().toISOString()} [INFO] ${m}\n`);

async function main(): Promise<void> {
  const kc = loadKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  let serial = Math.floor(Date.now() / 1000);
  const bump = () => { serial++; };
  let services: RunningInformer<V1Service> | undefined;
  let slices: RunningInformer<V1EndpointSlice> | undefined;
  let stopping = false;

  const metrics = new DnsMetrics();
  const dns = await serveDns('0.0.0.0', 53, (name, type) => answer({ services: services?.cache.list() ?? [], slices: slices?.cache.list() ?? [], serial }, name, type),
    (proto, type, rcode) => metrics.observe(proto, type, rcode));
  const prometheus = createServer((req, res) => (req.url === '/metrics' ? res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics.text()) : res.writeHead(404).end())).listen(9153);
  const health = createServer((req, res) => res.writeHead(req.url === '/health' ? 200 : 404).end(req.url === '/health' ? 'OK' : '')).listen(8080);
  const ready = createServer((req, res) => {
    if (req.url !== '/ready') return res.writeHead(404).end();
    const ok = !!services && !!slices;
    res.writeHead(ok ? 200 : 503).end(ok ? 'OK' : 'kubernetes');
  }).listen(8181);
  log('.:53 (udp and tcp): kubernetes cluster.local in-addr.arpa ip6.arpa, ttl 30');

  // the first list may fail while the node's Service rules are not there yet: retried, as client-go's reflector
  async function watch<T extends KubernetesObject>(what: string, spec: WatchSpec<T>): Promise<RunningInformer<T>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startInformer<T>(kc, spec, { add: bump, update: bump, delete: bump });
      } catch (e) {
        if (stopping) throw e;
        log(`plugin/kubernetes: listing ${what} failed (attempt ${attempt}): ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, Math.min(250 * attempt, 2000)));
      }
    }
  }
  [services, slices] = await Promise.all([
    watch<V1Service>('Services', { path: '/api/v1/services', list: () => core.listServiceForAllNamespaces() }),
    watch<V1EndpointSlice>('EndpointSlices', { path: '/apis/discovery.k8s.io/v1/endpointslices', list: () => discovery.listEndpointSliceForAllNamespaces() }),
  ]);
  log('plugin/kubernetes: synced');

  const stop = () => {
    stopping = true;
    void dns.close(); health.close(); ready.close(); prometheus.close(); void services?.stop(); void slices?.stop();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: Error) => { process.stderr.write(`[FATAL] ${e.message}\n`); process.exit(1); });
