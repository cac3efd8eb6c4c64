// Shared informers for the controllers and the scheduler (one watch per kind, like client-go's
// SharedInformerFactory), and the API clients they write with.
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, type KubeConfig, type KubernetesObject, type V1DaemonSet, type V1Deployment, type V1Endpoints,
  type V1Node, type V1Pod, type V1ReplicaSet, type V1Service } from '@kubernetes/client-node';
import { startInformer, type Handlers, type RunningInformer } from '@svclab/kube';
import { eventRecorder, type Recorder } from './events.js';

type Kind = 'pods' | 'services' | 'nodes' | 'replicasets' | 'deployments' | 'daemonsets' | 'endpoints';

export class ControllerContext {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly discovery: DiscoveryV1Api;
  private readonly informers = new Map<Kind, RunningInformer<KubernetesObject>>();
  private readonly handlers = new Map<Kind, Handlers<KubernetesObject>[]>();
  private readonly recorders: Map<string, Recorder>;

  /** The event recorder of a component (deployment-controller, default-scheduler, …). */
  recorder(component: string): Recorder {
    let r = this.recorders.get(component);
    if (!r) this.recorders.set(component, (r = eventRecorder(this.core, component)));
    return r;
  }

  constructor(readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.recorders = new Map();
    this.apps = kc.makeApiClient(AppsV1Api);
    this.discovery = kc.makeApiClient(DiscoveryV1Api);
  }

  on<T extends KubernetesObject>(kind: Kind, h: Handlers<T>): void {
    const list = this.handlers.get(kind) ?? [];
    list.push(h as Handlers<KubernetesObject>);
    this.handlers.set(kind, list);
  }

  async start(): Promise<void> {
    const lists: Record<Kind, [string, () => Promise<any>]> = {
      pods: ['/api/v1/pods', () => this.core.listPodForAllNamespaces()],
      services: ['/api/v1/services', () => this.core.listServiceForAllNamespaces()],
      nodes: ['/api/v1/nodes', () => this.core.listNode()],
      replicasets: ['/apis/apps/v1/replicasets', () => this.apps.listReplicaSetForAllNamespaces()],
      deployments: ['/apis/apps/v1/deployments', () => this.apps.listDeploymentForAllNamespaces()],
      daemonsets: ['/apis/apps/v1/daemonsets', () => this.apps.listDaemonSetForAllNamespaces()],
      endpoints: ['/api/v1/endpoints', () => this.core.listEndpointsForAllNamespaces()],
    };
    // Like client-go's WaitForCacheSync: no handler runs until every cache is filled, or a
    // controller would act on a half-known world (e.g. delete Endpoints of a Service not yet listed).
    let synced = false;
    await Promise.all(Object.entries(lists).map(async ([kind, [path, list]]) => {
      const hs = () => (synced ? this.handlers.get(kind as Kind) ?? [] : []);
      const inf = await startInformer<KubernetesObject>(this.kc, { path, list }, {
        add: (o) => hs().forEach((h) => h.add?.(o)),
        update: (o, old) => hs().forEach((h) => h.update?.(o, old)),
        delete: (o) => hs().forEach((h) => h.delete?.(o)),
      });
      this.informers.set(kind as Kind, inf);
    }));
    synced = true;
    for (const [kind, inf] of this.informers) {
      for (const o of inf.cache.list()) (this.handlers.get(kind) ?? []).forEach((h) => h.add?.(o));
    }
  }

  async stop(): Promise<void> { await Promise.all([...this.informers.values()].map((i) => i.stop())); }

  private list<T>(kind: Kind, ns?: string): T[] { return (this.informers.get(kind)?.cache.list(ns) ?? []) as T[]; }
  private get<T>(kind: Kind, name: string, ns?: string): T | undefined { return this.informers.get(kind)?.cache.get(name, ns) as T | undefined; }

  pods(ns?: string): V1Pod[] { return this.list('pods', ns); }
  services(ns?: string): V1Service[] { return this.list('services', ns); }
  nodes(): V1Node[] { return this.list('nodes'); }
  replicaSets(ns?: string): V1ReplicaSet[] { return this.list('replicasets', ns); }
  daemonSets(ns?: string): V1DaemonSet[] { return this.list('daemonsets', ns); }
  endpoints(ns: string, name: string): V1Endpoints | undefined { return this.get('endpoints', name, ns); }
  service(ns: string, name: string): V1Service | undefined { return this.get('services', name, ns); }
  replicaSet(ns: string, name: string): V1ReplicaSet | undefined { return this.get('replicasets', name, ns); }
  deployment(ns: string, name: string): V1Deployment | undefined { return this.get('deployments', name, ns); }
  daemonSet(ns: string, name: string): V1DaemonSet | undefined { return this.get('daemonsets', name, ns); }
}

export const keyOf = (o: KubernetesObject) => `${o.metadata!.namespace ?? ''}/${o.metadata!.name}`;
export const splitKey = (k: string) => { const [namespace, name] = k.split('/') as [string, string]; return { namespace, name }; };

export function controllerOf(o: KubernetesObject): { uid: string; kind: string; name: string } | undefined {
  const ref = o.metadata?.ownerReferences?.find((r) => r.controller);
  return ref && { uid: ref.uid, kind: ref.kind, name: ref.name };
}

export const isActive = (p: V1Pod) => !p.metadata!.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
export const isReady = (p: V1Pod) => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

export function matchesSelector(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export function ownerRef(o: KubernetesObject, apiVersion: string, kind: string) {
  return { apiVersion, kind, name: o.metadata!.name!, uid: o.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

/** Errors from client-node carry the HTTP code; conflicts and not-found are normal races for a controller. */
export const isRace = (e: unknown) => [404, 409].includes((e as { code?: number }).code ?? 0);
