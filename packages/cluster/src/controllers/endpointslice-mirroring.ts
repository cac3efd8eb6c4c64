// EndpointSlice mirroring (pkg/controller/endpointslicemirroring): hand-written Endpoints of a Service
// without a selector are mirrored into EndpointSlices, so consumers of slices (kube-proxy) see them.
import type { V1EndpointSlice, V1Endpoints, V1Service } from '@kubernetes/client-node';
import { WorkQueue } from '@svclab/kube';
import { isRace, keyOf, ownerRef, splitKey, type ControllerContext } from './context.js';

const MANAGED_BY = 'endpointslicemirroring-controller.k8s.io';
const SKIP = 'endpointslice.kubernetes.io/skip-mirror';

export function startEndpointSliceMirroring(ctx: ControllerContext): WorkQueue {
  const queue = new WorkQueue(sync);
  const enqueue = (o: V1Endpoints | V1Service) => queue.add(keyOf(o));
  ctx.on<V1Endpoints>('endpoints', { add: enqueue, update: enqueue, delete: enqueue });
  ctx.on<V1Service>('services', { add: enqueue, update: enqueue, delete: enqueue });

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const ep = ctx.endpoints(namespace, name);
    const svc = ctx.service(namespace, name);
    const mirror = !!ep && !!svc && !(svc.spec?.selector && Object.keys(svc.spec.selector).length) && ep.metadata!.labels?.[SKIP] !== 'true';
    const existing = (await ctx.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${name},endpointslice.kubernetes.io/managed-by=${MANAGED_BY}` })).items;
    const want: V1EndpointSlice[] = mirror ? (ep!.subsets ?? []).map((ss) => ({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
      metadata: {
        generateName: `${name}-`, namespace, ownerReferences: [ownerRef(ep!, 'v1', 'Endpoints')],
        labels: { ...(ep!.metadata!.labels ?? {}), 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': MANAGED_BY },
      },
      ports: (ss.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
      endpoints: [
        ...(ss.addresses ?? []).map((a) => ({ addresses: [a.ip], conditions: { ready: true }, ...(a.nodeName ? { nodeName: a.nodeName } : {}), ...(a.targetRef ? { targetRef: a.targetRef } : {}) })),
        ...(ss.notReadyAddresses ?? []).map((a) => ({ addresses: [a.ip], conditions: { ready: false }, ...(a.nodeName ? { nodeName: a.nodeName } : {}), ...(a.targetRef ? { targetRef: a.targetRef } : {}) })),
      ],
    })).filter((s) => s.endpoints.length) : [];
    const unused = [...existing];
    for (const slice of want) {
      const cur = unused.shift();
      if (!cur) { await ctx.discovery.createNamespacedEndpointSlice({ namespace, body: slice }); continue; }
      if (JSON.stringify([cur.endpoints ?? [], cur.ports ?? []]) === JSON.stringify([slice.endpoints, slice.ports])) continue;
      await ctx.discovery.replaceNamespacedEndpointSlice({ namespace, name: cur.metadata!.name!, body: { ...slice, metadata: { ...slice.metadata, name: cur.metadata!.name, resourceVersion: cur.metadata!.resourceVersion } } });
    }
    for (const s of unused) await ctx.discovery.deleteNamespacedEndpointSlice({ namespace, name: s.metadata!.name! }).catch((e) => { if (!isRace(e)) throw e; });
  }
  return queue;
}
