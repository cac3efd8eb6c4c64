// The proxy process: Services, EndpointSlices and this Node through client-node informers, one
// sync loop (rate-limited to minSyncPeriod, a sync every syncPeriod, partial unless a full one is
// due), a backend per mode, UDP conntrack cleanup, /healthz and /metrics.
import { createServer, type Server } from 'node:http';
import { DiscoveryV1Api, CoreV1Api, type KubeConfig, type V1EndpointSlice, type V1Node, type V1Service } from '@kubernetes/client-node';
import { startInformer, type RunningInformer } from '@svclab/kube';
import type { Backend, BackendOptions } from './backend.js';
import type { ProxyConfig } from './config.js';
import { deleteFlows, staleUdpFlows } from './conntrack.js';
import { ProxyMetrics } from './metrics.js';
import { HealthCheckServers } from './healthcheck.js';
import { buildServicePorts, type ServicePort } from './service-ports.js';

export type { Backend } from './backend.js';

/** upstream's proxyutil.FullSyncPeriod: syncs in between write only what changed */
const FULL_SYNC_PERIOD_MS = 3_600_000;

export class Proxy {
  private services?: RunningInformer<V1Service>;
  private slices?: RunningInformer<V1EndpointSlice>;
  private node?: RunningInformer<V1Node>;
  /** the model as last programmed, per Service port, to tell what changed */
  private programmed = new Map<string, string>();
  private lastPorts: ServicePort[] = [];
  private needFull = true;
  private lastFull = 0;
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

  constructor(private readonly cfg: ProxyConfig, private readonly kc: KubeConfig, private readonly backend: Backend, private readonly opts: BackendOptions, private readonly log: (m: string) => void) {}

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
    // this Node's addresses: NodePorts and loadBalancerSourceRanges need them
    const onNode = (n: V1Node) => {
      const ips = (n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP' && !a.address.includes(':')).map((a) => a.address);
      if (ips.join() !== this.opts.nodeIPs.join()) { this.opts.nodeIPs = ips; this.needFull = true; this.requestSync(); }
    };
    const nodeName = this.cfg.hostnameOverride;
    [this.services, this.slices, this.node] = await Promise.all([
      startInformer<V1Service>(this.kc, { path: '/api/v1/services', labelSelector: serviceSelector, list: () => core.listServiceForAllNamespaces({ labelSelector: serviceSelector }) }, handlers),
      startInformer<V1EndpointSlice>(this.kc, { path: '/apis/discovery.k8s.io/v1/endpointslices', list: () => discovery.listEndpointSliceForAllNamespaces() }, { add: onSlice, update: onSlice, delete: onSlice }),
      nodeName
        ? startInformer<V1Node>(this.kc, { path: '/api/v1/nodes', fieldSelector: `metadata.name=${nodeName}`, list: () => core.listNode({ fieldSelector: `metadata.name=${nodeName}` }) }, { add: onNode, update: onNode })
        : undefined,
    ]);
    await this.startHealthz();
    await this.startMetrics();
    this.started = true;
    this.requestSync();
    // every syncPeriod: a full resync, sooner if the canary shows the tables were flushed
    this.periodic = setInterval(() => this.requestSync(), this.cfg.syncPeriodMs);
    this.canary = setInterval(() => void this.backend.flushed().then((gone) => {
      if (gone && !this.syncing) { this.metrics.canaryResyncs++; this.needFull = true; this.log('canary chain gone: the tables were flushed; resyncing'); this.requestSync(); }
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
    const full = this.needFull || this.lastSync - this.lastFull > FULL_SYNC_PERIOD_MS;
    const now = new Map(ports.map((p) => [p.name, JSON.stringify(p)]));
    const changed = new Set([...now].filter(([k, v]) => this.programmed.get(k) !== v).map(([k]) => k));
    for (const k of this.programmed.keys()) if (!now.has(k)) changed.add(k);
    this.syncing = this.backend.sync(ports, full ? undefined : changed).then(
      async () => {
        const done = Date.now();
        this.lastUpdated = new Date(done);
        const seconds = (done - this.lastSync) / 1000;
        this.metrics.syncDuration.observe(seconds);
        (full ? this.metrics.fullSyncDuration : this.metrics.partialSyncDuration).observe(seconds);
        for (const t of triggers) this.metrics.networkProgramming.observe(Math.max(0, done - t) / 1000);
        this.metrics.lastSync = done / 1000;
        if (full) { this.lastFull = this.lastSync; this.needFull = false; }
        this.log(`synced ${ports.length} service ports (${full ? 'full' : `partial, ${changed.size} changed`}) in ${done - this.lastSync} ms`);
        // userspace mode proxies UDP itself: nothing in conntrack points at an endpoint
        if (this.backend.mode !== 'userspace') await deleteFlows(staleUdpFlows(this.lastPorts, ports), this.log);
        this.programmed = now;
        this.lastPorts = ports;
      },
      (e: Error) => {
        this.metrics.syncFailures++;
        if (!full) this.metrics.partialSyncFailures++;
        this.needFull = true; // as upstream: after a failure the next sync rewrites everything
        this.triggers.push(...triggers);
        this.log(`sync failed: ${e.message}`);
      },
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
    await Promise.all([this.services?.stop(), this.slices?.stop(), this.node?.stop()]);
    await this.backend.close?.();
    this.healthz?.close();
  }
}

function splitHostPort(addr: string, fallback: number): [string, number] {
  const i = addr.lastIndexOf(':');
  return i < 0 ? [addr, fallback] : [addr.slice(0, i) || '0.0.0.0', Number(addr.slice(i + 1)) || fallback];
}
