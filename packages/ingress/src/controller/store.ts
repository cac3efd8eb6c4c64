// What the controller watches, kept current by client-node informers: Ingresses, IngressClasses,
// Services, EndpointSlices, Secrets and its own ConfigMap. Every event asks for a sync; the sync
// reads a consistent snapshot of the caches.
import { CoreV1Api, DiscoveryV1Api, NetworkingV1Api, type KubeConfig, type KubernetesObject, type V1ConfigMap, type V1EndpointSlice, type V1Ingress, type V1IngressClass, type V1Secret, type V1Service } from '@kubernetes/client-node';
import { startInformer, type RunningInformer } from '@svclab/kube';
import type { ObjectRef } from '../model.js';

export interface Snapshot {
  ingresses: V1Ingress[];
  ingressClasses: V1IngressClass[];
  services: V1Service[];
  endpointSlices: V1EndpointSlice[];
  secrets: V1Secret[];
  configMap?: V1ConfigMap;
}

export type ChangeKind = 'ingress' | 'ingressclass' | 'service' | 'endpointslice' | 'secret' | 'configmap';

export class Store {
  private informers: RunningInformer<KubernetesObject>[] = [];
  private ingresses?: RunningInformer<V1Ingress>;
  private classes?: RunningInformer<V1IngressClass>;
  private services?: RunningInformer<V1Service>;
  private slices?: RunningInformer<V1EndpointSlice>;
  private secrets?: RunningInformer<V1Secret>;
  private configMaps?: RunningInformer<V1ConfigMap>;

  constructor(private readonly kc: KubeConfig, private readonly o: { namespace?: string; configMap?: ObjectRef }, private readonly onChange: (kind: ChangeKind) => void) {}

  async start(): Promise<void> {
    const core = this.kc.makeApiClient(CoreV1Api);
    const net = this.kc.makeApiClient(NetworkingV1Api);
    const discovery = this.kc.makeApiClient(DiscoveryV1Api);
    const ns = this.o.namespace;
    const on = (kind: ChangeKind) => { const f = () => this.onChange(kind); return { add: f, update: f, delete: f }; };
    const path = (group: string, resource: string) => `${group}${ns ? `/namespaces/${ns}` : ''}/${resource}`;
    const cm = this.o.configMap;
    [this.ingresses, this.classes, this.services, this.slices, this.secrets, this.configMaps] = await Promise.all([
      startInformer<V1Ingress>(this.kc, { path: path('/apis/networking.k8s.io/v1', 'ingresses'), list: () => (ns ? net.listNamespacedIngress({ namespace: ns }) : net.listIngressForAllNamespaces()) }, on('ingress')),
      startInformer<V1IngressClass>(this.kc, { path: '/apis/networking.k8s.io/v1/ingressclasses', list: () => net.listIngressClass() }, on('ingressclass')),
      startInformer<V1Service>(this.kc, { path: path('/api/v1', 'services'), list: () => (ns ? core.listNamespacedService({ namespace: ns }) : core.listServiceForAllNamespaces()) }, on('service')),
      startInformer<V1EndpointSlice>(this.kc, { path: path('/apis/discovery.k8s.io/v1', 'endpointslices'), list: () => (ns ? discovery.listNamespacedEndpointSlice({ namespace: ns }) : discovery.listEndpointSliceForAllNamespaces()) }, on('endpointslice')),
      startInformer<V1Secret>(this.kc, { path: path('/api/v1', 'secrets'), list: () => (ns ? core.listNamespacedSecret({ namespace: ns }) : core.listSecretForAllNamespaces()) }, on('secret')),
      cm
        ? startInformer<V1ConfigMap>(this.kc, { path: `/api/v1/namespaces/${cm.namespace}/configmaps`, fieldSelector: `metadata.name=${cm.name}`, list: () => core.listNamespacedConfigMap({ namespace: cm.namespace, fieldSelector: `metadata.name=${cm.name}` }) }, on('configmap'))
        : Promise.resolve(undefined),
    ]);
    this.informers = [this.ingresses, this.classes, this.services, this.slices, this.secrets, this.configMaps].filter((i): i is RunningInformer<never> => !!i);
  }

  snapshot(): Snapshot {
    return {
      ingresses: [...(this.ingresses?.cache.list() ?? [])],
      ingressClasses: [...(this.classes?.cache.list() ?? [])],
      services: [...(this.services?.cache.list() ?? [])],
      endpointSlices: [...(this.slices?.cache.list() ?? [])],
      secrets: [...(this.secrets?.cache.list() ?? [])],
      configMap: this.configMaps?.cache.list()[0],
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop().catch(() => undefined)));
  }
}
