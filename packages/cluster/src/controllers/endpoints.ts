// Endpoints controller: for each Service with a selector, an Endpoints object of the same name with
// ready pods in addresses and unready ones in notReadyAddresses, ports from the Service's ports.
import type { V1EndpointAddress, V1EndpointSubset, V1Endpoints } from '@kubernetes/client-node';
import { WorkQueue } from '@svclab/kube';
import { isRace, splitKey, type ControllerContext } from './context.js';
import { managesEndpoints, resolveTargetPort, serviceBackends } from './service-backends.js';
import { queueServicesAndTheirPods } from './watch-services.js';

export function startEndpointsController(ctx: ControllerContext): WorkQueue {
  const queue = new WorkQueue(sync);
  queueServicesAndTheirPods(ctx, queue);

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = ctx.service(namespace, name);
    if (!svc) {
      await ctx.core.deleteNamespacedEndpoints({ namespace, name }).catch((e) => { if (!isRace(e)) throw e; });
      return;
    }
    if (!managesEndpoints(svc)) return;
    // one subset per distinct resolved port set, as upstream's RepackSubsets produces
    const subsets = new Map<string, V1EndpointSubset>();
    for (const b of serviceBackends(ctx, svc)) {
      const ports = (svc.spec!.ports ?? []).map((sp) => ({ name: sp.name, port: resolveTargetPort(sp, b.pod), protocol: sp.protocol ?? 'TCP' }))
        .filter((p): p is { name: string | undefined; port: number; protocol: string } => p.port !== undefined);
      if (ports.length === 0) continue;
      const k = JSON.stringify(ports);
      const subset: V1EndpointSubset = subsets.get(k) ?? { ports: ports.map((p) => (p.name ? p : { port: p.port, protocol: p.protocol })) };
      subsets.set(k, subset);
      const addr: V1EndpointAddress = { ip: b.ip, nodeName: b.pod.spec!.nodeName, targetRef: { kind: 'Pod', namespace, name: b.pod.metadata!.name, uid: b.pod.metadata!.uid } };
      // publishNotReadyAddresses: every pod with an IP is listed as ready, as upstream does
      if (b.ready || svc.spec!.publishNotReadyAddresses) (subset.addresses ??= []).push(addr);
      else if (!b.terminating) (subset.notReadyAddresses ??= []).push(addr);
    }
    const body: V1Endpoints = {
      apiVersion: 'v1', kind: 'Endpoints',
      metadata: { name, namespace, labels: svc.metadata!.labels },
      subsets: [...subsets.values()].filter((s) => s.addresses?.length || s.notReadyAddresses?.length),
    };
    if (body.subsets!.length === 0) delete body.subsets;
    const cur = await ctx.core.readNamespacedEndpoints({ namespace, name }).catch((e) => { if (isRace(e)) return undefined; throw e; });
    if (!cur) {
      await ctx.core.createNamespacedEndpoints({ namespace, body }).catch((e) => { if (!isRace(e)) throw e; });
    } else if (JSON.stringify(cur.subsets ?? []) !== JSON.stringify(body.subsets ?? []) || JSON.stringify(cur.metadata?.labels ?? {}) !== JSON.stringify(body.metadata?.labels ?? {})) {
      body.metadata!.resourceVersion = cur.metadata!.resourceVersion;
      await ctx.core.replaceNamespacedEndpoints({ namespace, name, body });
    }
  }
  return queue;
}
