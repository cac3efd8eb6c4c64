// status.loadBalancer.ingress as ingress-nginx writes it: --publish-status-address if given, else the
// --publish-service's addresses, else the addresses of the nodes running the controller's pods
// (ExternalIP, or InternalIP with --report-node-internal-ip-address or when a node has no ExternalIP).
import { CoreV1Api, NetworkingV1Api, type KubeConfig, type V1Ingress, type V1IngressLoadBalancerIngress } from '@kubernetes/client-node';
import { isIP } from 'node:net';
import type { ControllerFlags } from './flags.js';

export type Address = V1IngressLoadBalancerIngress;

const address = (a: string): Address => (isIP(a) ? { ip: a } : { hostname: a });

export async function statusAddresses(kc: KubeConfig, flags: ControllerFlags, self: { namespace: string; name: string } | undefined): Promise<Address[]> {
  if (flags.publishStatusAddress.length) return flags.publishStatusAddress.map(address);
  const core = kc.makeApiClient(CoreV1Api);
  if (flags.publishService) {
    const svc = await core.readNamespacedService(flags.publishService);
    const external = (svc.spec?.externalIPs ?? []).map(address);
    switch (svc.spec?.type) {
      case 'ExternalName': return [{ hostname: svc.spec.externalName }];
      case 'LoadBalancer': return [...(svc.status?.loadBalancer?.ingress ?? []).map((i) => (i.ip ? { ip: i.ip } : { hostname: i.hostname })), ...external];
      default: return external.length ? external : svc.spec?.clusterIP ? [{ ip: svc.spec.clusterIP }] : [];
    }
  }
  if (!self) return [];
  // the controller's pods: the labels of this one, without the ReplicaSet's hash
  const me = await core.readNamespacedPod(self);
  const labels = Object.entries(me.metadata?.labels ?? {}).filter(([k]) => k !== 'pod-template-hash').map(([k, v]) => `${k}=${v}`).join(',');
  const pods = (await core.listNamespacedPod({ namespace: self.namespace, labelSelector: labels || undefined })).items;
  const out: string[] = [];
  // this pod counts even before the kubelet reports it Running: it is the one serving
  const serving = pods.filter((p) => (p.status?.phase === 'Running' || p.metadata?.uid === me.metadata?.uid) && p.spec?.nodeName && !p.metadata?.deletionTimestamp);
  for (const nodeName of [...new Set(serving.map((p) => p.spec!.nodeName!))].sort()) {
    const node = await core.readNode({ name: nodeName }).catch(() => undefined);
    const addrs = node?.status?.addresses ?? [];
    const pick = (t: string) => addrs.find((a) => a.type === t)?.address;
    const a = flags.reportNodeInternalIp ? pick('InternalIP') : pick('ExternalIP') ?? pick('InternalIP');
    if (a && !out.includes(a)) out.push(a);
  }
  return out.map(address);
}

const same = (a: Address[] | undefined, b: Address[]) => JSON.stringify((a ?? []).map((x) => [x.ip ?? '', x.hostname ?? ''])) === JSON.stringify(b.map((x) => [x.ip ?? '', x.hostname ?? '']));

/** Writes the addresses into every given Ingress whose status differs; returns how many were written. */
export async function updateIngressStatus(kc: KubeConfig, ingresses: V1Ingress[], addresses: Address[], log: (m: string) => void): Promise<number> {
  const net = kc.makeApiClient(NetworkingV1Api);
  let written = 0;
  for (const ing of ingresses) {
    if (same(ing.status?.loadBalancer?.ingress, addresses)) continue;
    const { namespace, name } = ing.metadata as { namespace: string; name: string };
    try {
      await net.replaceNamespacedIngressStatus({ namespace, name, body: { ...ing, status: { loadBalancer: { ingress: addresses } } } });
      written++;
    } catch (e) {
      // a conflict means a newer version is on its way through the informer: the next sync retries
      log(`updating the status of Ingress ${namespace}/${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return written;
}
