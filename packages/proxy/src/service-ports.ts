// The proxy's model, built from Services and EndpointSlices as upstream's ServicePortName /
// endpointsMap: one entry per Service port, with its endpoints sorted by "ip:port" (byEndpoint).
import { isIPv4 } from 'node:net';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';

export interface Endpoint { ip: string; port: number; ready: boolean; serving: boolean; terminating: boolean; nodeName?: string }

export interface ServicePort {
  /** "<ns>/<name>" or "<ns>/<name>:<portName>": upstream's ServicePortName.String() */
  name: string;
  namespace: string;
  service: string;
  portName: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  clusterIP: string;
  port: number;
  /** 0 when the Service has none */
  nodePort: number;
  externalIPs: string[];
  loadBalancerIPs: string[];
  /** spec.loadBalancerSourceRanges: only these client CIDRs may use the load-balancer IPs (empty: any) */
  loadBalancerSourceRanges: string[];
  /** sessionAffinity ClientIP timeout in seconds, 0 for None */
  affinitySeconds: number;
  /** externalTrafficPolicy: Local (external traffic only to endpoints on this node, client address kept) */
  externalLocal: boolean;
  /** internalTrafficPolicy: Local (ClusterIP traffic only to endpoints on the client's node) */
  internalLocal: boolean;
  healthCheckNodePort: number;
  endpoints: Endpoint[];
}

export const endpointString = (e: Endpoint) => `${e.ip}:${e.port}`;

/** an IPv4 proxy ignores other families' (and malformed) addresses, as upstream's per-family trackers do */
export { isIPv4 };
export const isCIDRv4 = (c: string) => { const [ip, bits, extra] = c.split('/'); return extra === undefined && isIPv4(ip!) && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= 32)); };

/** Services kube-proxy ignores: headless, ExternalName, or claimed by another proxy. */
export function proxied(svc: V1Service): boolean {
  const ip = svc.spec?.clusterIP;
  if (!ip || ip === 'None' || svc.spec?.type === 'ExternalName' || !isIPv4(ip)) return false;
  const labels = svc.metadata?.labels ?? {};
  return !('service.kubernetes.io/service-proxy-name' in labels) && !('service.kubernetes.io/headless' in labels);
}

export function buildServicePorts(services: readonly V1Service[], slices: readonly V1EndpointSlice[]): ServicePort[] {
  const bySvc = new Map<string, V1EndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.['kubernetes.io/service-name'];
    if (!svc || s.addressType !== 'IPv4') continue;
    const k = `${s.metadata!.namespace}/${svc}`;
    bySvc.set(k, [...(bySvc.get(k) ?? []), s]);
  }
  const out: ServicePort[] = [];
  for (const svc of services.filter(proxied)) {
    const ns = svc.metadata!.namespace!;
    const name = svc.metadata!.name!;
    for (const sp of svc.spec!.ports ?? []) {
      const portName = sp.name ?? '';
      const protocol = (sp.protocol ?? 'TCP') as ServicePort['protocol'];
      const seen = new Map<string, Endpoint>();
      for (const slice of bySvc.get(`${ns}/${name}`) ?? []) {
        const p = slice.ports?.find((x) => (x.name ?? '') === portName && (x.protocol ?? 'TCP') === protocol);
        if (!p?.port) continue;
        for (const e of slice.endpoints ?? []) {
          if (!isIPv4(e.addresses[0] ?? '')) continue;
          const ready = e.conditions?.ready !== false;
          const ep: Endpoint = {
            ip: e.addresses[0]!, port: p.port, ready,
            serving: e.conditions?.serving ?? ready, terminating: e.conditions?.terminating ?? false, nodeName: e.nodeName,
          };
          seen.set(endpointString(ep), ep);
        }
      }
      out.push({
        name: portName ? `${ns}/${name}:${portName}` : `${ns}/${name}`, namespace: ns, service: name, portName, protocol,
        clusterIP: svc.spec!.clusterIP!, port: sp.port, nodePort: sp.nodePort ?? 0,
        externalIPs: (svc.spec!.externalIPs ?? []).filter(isIPv4),
        loadBalancerIPs: svc.spec!.type === 'LoadBalancer' ? (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter(isIPv4) : [],
        loadBalancerSourceRanges: svc.spec!.type === 'LoadBalancer' ? (svc.spec!.loadBalancerSourceRanges ?? []).map((r) => r.trim()).filter(isCIDRv4) : [],
        externalLocal: svc.spec!.externalTrafficPolicy === 'Local' && (svc.spec!.type === 'NodePort' || svc.spec!.type === 'LoadBalancer'),
        healthCheckNodePort: svc.spec!.healthCheckNodePort ?? 0,
        internalLocal: svc.spec!.internalTrafficPolicy === 'Local',
        affinitySeconds: svc.spec!.sessionAffinity === 'ClientIP' ? svc.spec!.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800 : 0,
        endpoints: [...seen.values()].sort((a, b) => (endpointString(a) < endpointString(b) ? -1 : endpointString(a) > endpointString(b) ? 1 : 0)),
      });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The endpoints traffic may go to (KEP-1669): the ready ones; if there are none, the ones still serving
 * while they terminate, so connections drain instead of failing.
 */
export function usable(endpoints: Endpoint[]): Endpoint[] {
  const ready = endpoints.filter((e) => e.ready);
  return ready.length ? ready : endpoints.filter((e) => e.serving && e.terminating);
}
