// EndpointSlice controller: for each Service with a selector, slices labelled
// kubernetes.io/service-name (one per distinct resolved port set), endpoints with ready / serving /
// terminating conditions, owned by the Service.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { WorkQueue } from '@svclab/kube';
import { isRace, ownerRef, splitKey, type ControllerContext } from './context.js';
import { managesEndpoints, resolveTargetPort, serviceBackends } from './service-backends.js';
import { queueServicesAndTheirPods } from './watch-services.js';

const MANAGED_BY = 'endpointslice-controller.k8s.io';

function newSlice(svc: V1Service, ports: V1EndpointSlice['ports']): V1EndpointSlice {
  const { name, namespace } = svc.metadata as { name: string; namespace: string };
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
    metadata: {
      generateName: `${name}-`, namespace, ownerReferences: [ownerRef(svc, 'v1', 'Service')],
      labels: { ...(svc.metadata!.labels ?? {}), 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': MANAGED_BY },
    },
    endpoints: [], ports,
  };
}

export function startEndpointSliceController(ctx: ControllerContext): WorkQueue {
  const queue = new WorkQueue(sync);
  queueServicesAndTheirPods(ctx, queue);

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = ctx.service(namespace, name);
    if (!svc || !managesEndpoints(svc)) return; // deleted Services take their slices along (ownerReferences)
    const want = new Map<string, V1EndpointSlice>();
    for (const b of serviceBackends(ctx, svc)) {
      const ports = (svc.spec!.ports ?? []).map((sp) => ({ name: sp.name ?? '', port: resolveTargetPort(sp, b.pod), protocol: sp.protocol ?? 'TCP' }))
        .filter((p) => p.port !== undefined);
      const k = JSON.stringify(ports);
      const slice = want.get(k) ?? newSlice(svc, ports as V1EndpointSlice['ports']);
      want.set(k, slice);
      const publish = !!svc.spec!.publishNotReadyAddresses;
      slice.endpoints.push({
        addresses: [b.ip],
        conditions: { ready: b.ready || publish, serving: b.ready || (b.terminating && b.pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')), terminating: b.terminating },
        nodeName: b.pod.spec!.nodeName,
        targetRef: { kind: 'Pod', namespace, name: b.pod.metadata!.name, uid: b.pod.metadata!.uid },
      });
    }
    if (want.size === 0) {
      want.set('[]', newSlice(svc, (svc.spec!.ports ?? []).map((sp) => ({ name: sp.name ?? '', port: typeof sp.targetPort === 'number' ? sp.targetPort : sp.port, protocol: sp.protocol ?? 'TCP' }))));
    }
    const existing = (await ctx.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${name},endpointslice.kubernetes.io/managed-by=${MANAGED_BY}` })).items;
    const unused = [...existing];
    for (const [k, slice] of want) {
      // reuse the slice with the same ports, else any leftover one, before creating a new slice
      const same = unused.findIndex((s) => JSON.stringify(s.ports ?? []) === k);
      const cur = unused.length ? unused.splice(same >= 0 ? same : 0, 1)[0] : undefined;
      // when the change that produced these endpoints happened, for kube-proxy's network programming latency
      slice.metadata!.annotations = { ...slice.metadata!.annotations, 'endpoints.kubernetes.io/last-change-trigger-time': new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
      if (!cur) { await ctx.discovery.createNamespacedEndpointSlice({ namespace, body: slice }); continue; }
      if (JSON.stringify(cur.endpoints ?? []) === JSON.stringify(slice.endpoints) && JSON.stringify(cur.ports ?? []) === k) continue;
      await ctx.discovery.replaceNamespacedEndpointSlice({
        namespace, name: cur.metadata!.name!,
        body: { ...slice, metadata: { ...slice.metadata, name: cur.metadata!.name, generateName: cur.metadata!.generateName, resourceVersion: cur.metadata!.resourceVersion } },
      });
    }
    for (const s of unused) await ctx.discovery.deleteNamespacedEndpointSlice({ namespace, name: s.metadata!.name! }).catch((e) => { if (!isRace(e)) throw e; });
  }
  return queue;
}
