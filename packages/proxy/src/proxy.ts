// The proxy process: Services and EndpointSlices through client-node informers, one sync loop
// (rate-limited to minSyncPeriod, full resync every syncPeriod), a backend per mode, /healthz.
import { createServer, type Server } from 'node:http';
import { DiscoveryV1Api, CoreV1Api, type KubeConfig, type V1EndpointSlice, type V1Service } from '@kubernetes/client-node';
import { startInformer, type RunningInformer } from '@svclab/kube';
import { execa } from 'execa';
import type { ProxyConfig } from './config.js';
import { IptablesProxier } from './iptables/proxier.js';
import { ProxyMetrics } from './metrics.js';
import { HealthCheckServers } from './healthcheck.js';
import { buildServicePorts, type ServicePort } from './service-ports.js';

export interface Backend {
  sync(ports: ServicePort[]): Promise<void>;
  cleanup(): Promise<void>;
  /** whether the backend's state was removed behind its back (a flushed table), asking for a full resync */
  flushed(): Promise<boolean>;
}

async function iptablesSupportsRandomFully(): Promise<boolean> {
  const r = await execa('iptables', ['-j', 'MASQUERADE', '--help'], { reject: false });
  return r.stdout.includes('random-fully');
}

export async function makeBackend(cfg: ProxyConfig): Promise<Backend> {
  switch (cfg.mode) {
    case 'iptables':
      return new IptablesProxier({ nodeName: cfg.hostnameOverride, clusterCIDR: cfg.clusterCIDR, masqueradeBit: cfg.masqueradeBit, masqueradeAll: cfg.masqueradeAll, randomFully: await iptablesSupportsRandomFully() });
    default:
      throw new Error(`proxy mode "${cfg.mode}" is not implemented yet in svclab's kube-proxy (only "iptables" is); set mode: iptables in the kube-proxy ConfigMap`);
  }
}

export class Proxy {
  private services?: RunningInformer<V1Service>;
  private slices?: RunningInformer<V1EndpointSlice>;
  private timer?: NodeJS.Timeout;
  private periodic?: NodeJS.Timeout;
  private lastSync = 0;
  private syncing?: Promise<void>;
  private pending = false;
  private healthz?: Server;
  private metricsServer?: Server;
  readonly metrics = new ProxyMetrics();
  private readonly healthChecks = new HealthCheckServers((m) => this.log(m));
  /** endpoint changes not yet programmed: their trigger times, for network_programming_duration_seconds */
  private triggers: number[] = [];
  private started = false;
  lastUpdated?: Date;

  constructor(private readonly cfg: ProxyConfig, private readonly kc: KubeConfig, private readonly backend: Backend, private readonly log: (m: string) => void) {}

  async start(): Promise<void> {
    const core = this.kc.makeApiClient(CoreV1Api);
    const discovery = this.kc.makeApiClient(DiscoveryV1Api);
    const onChange = () => this.requestSync();
    const handlers = { add: onChange, update: onChange, delete: onChange };
    // the endpoints controller stamps when the change that produced a slice happened
    const onSlice = (s: V1EndpointSlice) => {
      const t = Date.parse(s.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'] ?? '') || Date.now();
      this.triggers.push(t);
      this.requestSync();
    };
    const serviceSelector = '!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless';
    [this.services, this.slices] = await Promise.all([
      startInformer<V1Service>(this.kc, { path: '/api/v1/services', labelSelector: serviceSelector, list: () => core.listServiceForAllNamespaces({ labelSelector: serviceSelector }) }, handlers),
      startInformer<V1EndpointSlice>(this.kc, { path: '/apis/discovery.k8s.io/v1/endpointslices', list: () => discovery.listEndpointSliceForAllNamespaces() }, { add: onSlice, update: onSlice, delete: onSlice }),
    ]);
    await this.startHealthz();
    await this.startMetrics();
    this.started = true;
    this.requestSync();
    // every syncPeriod: a full resync, sooner if the canary shows the tables were flushed
    this.periodic = setInterval(() => this.requestSync(), this.cfg.syncPeriodMs);
    this.canary = setInterval(() => void this.backend.flushed().then((gone) => {
      if (gone && !this.syncing) { this.metrics.canaryResyncs++; this.log('canary chain gone: the tables were flushed; resyncing'); this.requestSync(); }
    }, () => undefined), Math.min(this.cfg.syncPeriodMs, 5_000));
  }

  /** Coalesces changes: at most one sync per minSyncPeriod, and one more if changes arrive during a sync. */
  requestSync(): void {
    if (!this.started) return; // the first sync follows the initial lists of both informers
    if (this.syncing) { this.pending = true; return; }
    if (this.timer) return;
    const wait = Math.max(0, this.lastSync + this.cfg.minSyncPeriodMs - Date.now());
    this.timer = setTimeout(() => { this.timer = undefined; void this.runSync(); }, wait);
  }

  private async runSync(): Promise<void> {
    this.lastSync = Date.now();
    const triggers = this.triggers;
    this.triggers = [];
    const ports = buildServicePorts(this.services!.cache.list(), this.slices!.cache.list());
    this.healthChecks.update(ports, this.cfg.hostnameOverride);
    this.syncing = this.backend.sync(ports).then(
      () => {
        const now = Date.now();
        this.lastUpdated = new Date(now);
        const seconds = (now - this.lastSync) / 1000;
        this.metrics.syncDuration.observe(seconds);
        this.metrics.fullSyncDuration.observe(seconds); // every sync renders every Service today
        for (const t of triggers) this.metrics.networkProgramming.observe(Math.max(0, now - t) / 1000);
        this.metrics.lastSync = now / 1000;
        this.log(`synced ${ports.length} service ports in ${now - this.lastSync} ms`);
      },
      (e: Error) => { this.metrics.syncFailures++; this.triggers.push(...triggers); this.log(`sync failed: ${e.message}`); },
    );
    await this.syncing;
    this.syncing = undefined;
    if (this.pending) { this.pending = false; this.requestSync(); }
  }

  private async startHealthz(): Promise<void> {
    const [host, port] = splitHostPort(this.cfg.healthzBindAddress, 10256);
    this.healthz = createServer((_req, res) => {
      const ok = !!this.lastUpdated;
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ lastUpdated: this.lastUpdated?.toISOString() ?? '', currentTime: new Date().toISOString() }));
    });
    await new Promise<void>((resolve, reject) => this.healthz!.once('error', reject).listen(port, host, resolve));
  }

  private canary?: NodeJS.Timeout;

  private async startMetrics(): Promise<void> {
    const [host, port] = splitHostPort(this.cfg.metricsBindAddress, 10249);
    this.metricsServer = createServer((req, res) => {
      if (req.url !== '/metrics') { res.writeHead(404); res.end(); return; }
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(this.metrics.render());
    });
    await new Promise<void>((resolve, reject) => this.metricsServer!.once('error', reject).listen(port, host, resolve));
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    clearInterval(this.periodic);
    clearInterval(this.canary);
    this.healthChecks.closeAll();
    this.metricsServer?.close();
    await Promise.all([this.services?.stop(), this.slices?.stop()]);
    this.healthz?.close();
  }
}

function splitHostPort(addr: string, fallback: number): [string, number] {
  const i = addr.lastIndexOf(':');
  return i < 0 ? [addr, fallback] : [addr.slice(0, i) || '0.0.0.0', Number(addr.slice(i + 1)) || fallback];
}
