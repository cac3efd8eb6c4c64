// The sync loop: every change in the watched objects asks for a sync; syncs are debounced (a burst of
// `kubectl apply`s becomes one reload, ingress-nginx #10384) and never overlap. A sync builds the
// model from a snapshot of the caches, hands it to nginx (which reloads only when nginx.conf changed
// and pushes endpoints at runtime otherwise), records Events for refused Ingresses and keeps
// status.loadBalancer current.
import type { KubeConfig, V1Ingress } from '@kubernetes/client-node';
import type { IngressModel, ObjectRef } from '../model.js';
import { EventRecorder } from './events.js';
import type { ControllerFlags } from './flags.js';
import { renderMetrics, type ControllerCounters, type RequestCount } from './metrics.js';
import { readSettings, type Settings } from './settings.js';
import { statusAddresses, updateIngressStatus, type Address } from './status.js';
import { Store, type ChangeKind, type Snapshot } from './store.js';

/** what the controller needs from the nginx side (src/nginx/runtime.ts) */
export interface NginxSide {
  /** starts nginx serving `model` from the first moment (its ports open only then) */
  start(model: IngressModel, settings: Settings): Promise<void>;
  apply(model: IngressModel, settings: Settings): Promise<{ reloaded: boolean; pushedBackends: boolean; error?: string }>;
  requestCounts(): Promise<RequestCount[]>;
  configHash(): string;
  stop(): Promise<void>;
}

export type ModelBuilder = (s: Snapshot, flags: ControllerFlags, settings: Settings) => { model: IngressModel; accepted: V1Ingress[] };

/** quiet time after the last change before a sync; and the longest a change waits in a busy stream */
const DEBOUNCE_MS = 50;
const MAX_WAIT_MS = 500;
/** status is re-checked this often even without changes (nodes and pods move), as upstream's 60 s loop */
const STATUS_PERIOD_MS = 30_000;

export class IngressController {
  readonly counters: ControllerCounters = { reloadsOk: 0, reloadsFailed: 0, lastReloadSuccessful: true, lastReloadSuccessTime: 0, configHash: 0, rejected: 0, dynamicUpdates: 0 };
  private readonly store: Store;
  private readonly events: EventRecorder;
  private timer?: NodeJS.Timeout;
  private firstPending = 0;
  private syncing?: Promise<void>;
  private again = false;
  private statusTimer?: NodeJS.Timeout;
  private addresses: Address[] = [];
  private accepted: V1Ingress[] = [];
  private lastError?: string;
  private stopped = false;
  /** changes ask for a sync only from the first sync on: what changed before is in its snapshot */
  private accepting = false;
  /** the first sync ran (healthz answers ok only then) */
  synced = false;

  constructor(private readonly kc: KubeConfig, readonly flags: ControllerFlags, private readonly nginx: NginxSide, private readonly build: ModelBuilder,
    private readonly self: ObjectRef | undefined, private readonly log: (m: string) => void) {
    this.store = new Store(kc, { namespace: flags.watchNamespace, configMap: flags.configMap }, (k) => this.changed(k));
    this.events = new EventRecorder(kc, log);
  }

  async start(): Promise<void> {
    await this.store.start();
    // nginx starts with what exists, so once it listens (and the pod is Ready) it routes it, and
    // the first sync below has nothing to reload
    const snap = this.store.snapshot();
    const settings = this.settings(snap);
    await this.nginx.start(this.build(snap, this.flags, settings).model, settings);
    // not earlier: the informers' add events arrive while the other lists are still loading, and a
    // sync then would see half a cluster and find nginx not started yet
    this.accepting = true;
    await this.sync();
    if (this.flags.updateStatus) {
      await this.refreshStatus();
      this.statusTimer = setInterval(() => void this.refreshStatus(), STATUS_PERIOD_MS);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.statusTimer);
    await this.syncing?.catch(() => undefined);
    await this.store.stop();
    await this.nginx.stop();
  }

  /** Prometheus text: the controller's counters and nginx's request counts (none while nginx does not answer) */
  async metrics(): Promise<string> {
    const requests = await this.nginx.requestCounts().catch(() => []);
    return renderMetrics(this.counters, requests, this.flags.controllerClass, this.self?.namespace ?? '', this.self?.name ?? '');
  }

  health(): { ok: boolean; detail: string } {
    if (!this.synced) return { ok: false, detail: 'the first configuration is not loaded yet' };
    return { ok: true, detail: this.lastError ? `ok (last reload failed: ${this.lastError})` : 'ok' };
  }

  private settings(s: Snapshot): Settings { return readSettings(s.configMap, this.log); }

  private changed(_kind: ChangeKind): void {
    if (this.stopped || !this.accepting) return;
    const now = Date.now();
    if (!this.timer) this.firstPending = now;
    clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(DEBOUNCE_MS, this.firstPending + MAX_WAIT_MS - now));
    this.timer = setTimeout(() => { this.timer = undefined; void this.sync(); }, wait);
  }

  /** one sync at a time; changes during a sync cause exactly one more */
  sync(): Promise<void> {
    if (this.syncing) { this.again = true; return this.syncing; }
    // a sync that throws (a bug, an API error) is logged and retried on the next change, never fatal
    this.syncing = this.syncOnce().catch((e: Error) => {
      this.lastError = e.message;
      this.log(`sync failed: ${e.stack ?? e.message}`);
    }).finally(() => {
      this.syncing = undefined;
      if (this.again && !this.stopped) { this.again = false; void this.sync(); }
    });
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const snap = this.store.snapshot();
    const settings = this.settings(snap);
    const { model, accepted } = this.build(snap, this.flags, settings);
    for (const r of model.rejected) this.log(`Ingress ${r.ingress.namespace}/${r.ingress.name} rejected: ${r.reason}`);
    const result = await this.nginx.apply(model, settings).catch((e: Error) => ({ reloaded: false, pushedBackends: false, error: e.message }));
    if (result.error) {
      this.counters.reloadsFailed++;
      this.counters.lastReloadSuccessful = false;
      this.lastError = result.error;
      this.log(`the new configuration was not loaded (nginx keeps serving the previous one): ${result.error}`);
    } else {
      if (result.reloaded) {
        this.counters.reloadsOk++;
        this.counters.lastReloadSuccessful = true;
        this.counters.lastReloadSuccessTime = Math.floor(Date.now() / 1000);
        this.lastError = undefined;
        this.log('backend reload required: nginx reloaded');
      }
      if (result.pushedBackends) this.counters.dynamicUpdates++;
    }
    this.counters.configHash = Number.parseInt(this.nginx.configHash().slice(0, 12) || '0', 16);
    this.counters.rejected = model.rejected.length;
    this.synced = true;
    await this.recordEvents(snap, model, accepted);
    this.accepted = accepted;
    // writes only the Ingresses whose status differs (new ones, or ones someone edited)
    if (this.flags.updateStatus) await this.writeStatus();
  }

  private async recordEvents(snap: Snapshot, model: IngressModel, accepted: V1Ingress[]): Promise<void> {
    const key = (r: ObjectRef) => `${r.namespace}/${r.name}`;
    const byName = new Map(snap.ingresses.map((i) => [`${i.metadata?.namespace}/${i.metadata?.name}`, i]));
    for (const r of model.rejected) {
      const ing = byName.get(key(r.ingress));
      if (ing) await this.events.record(ing, 'Warning', 'Rejected', r.reason);
    }
    for (const ing of accepted) await this.events.record(ing, 'Normal', 'Sync', 'Scheduled for sync');
    this.events.retain(new Set(snap.ingresses.map((i) => i.metadata?.uid ?? '')));
  }

  private async refreshStatus(): Promise<void> {
    if (this.stopped) return;
    try {
      this.addresses = await statusAddresses(this.kc, this.flags, this.self);
      await this.writeStatus();
    } catch (e) { this.log(`status: ${(e as Error).message.split('\n')[0]}`); }
    // no address yet (our node not known, an API error): try again soon rather than in a period
    if (this.addresses.length === 0 && !this.stopped) setTimeout(() => void this.refreshStatus(), 2_000).unref();
  }

  private async writeStatus(): Promise<void> {
    if (this.addresses.length === 0) return;
    await updateIngressStatus(this.kc, this.accepted, this.addresses, this.log);
  }
}
