// Where a backend's traffic goes: the pod addresses and target ports of the Service's
// EndpointSlices (never the ClusterIP), as upstream's getEndpointsFromSlices.
import { isIP } from 'node:net';
import type { V1EndpointSlice, V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { Endpoint } from '../model.js';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export class ServiceIndex {
  private readonly services = new Map<string, V1Service>();
  private readonly slices = new Map<string, V1EndpointSlice[]>();

  constructor(services: readonly V1Service[], slices: readonly V1EndpointSlice[]) {
    for (const s of services) this.services.set(`${s.metadata?.namespace}/${s.metadata?.name}`, s);
    for (const s of slices) {
      const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (!svc) continue;
      const key = `${s.metadata?.namespace}/${svc}`;
      this.slices.set(key, [...(this.slices.get(key) ?? []), s]);
    }
  }

  service(namespace: string, name: string): V1Service | undefined {
    return this.services.get(`${namespace}/${name}`);
  }

  /**
   * Endpoints of the Service port the Ingress names (by number: the port; by name: the port's name).
   * None when the Service or port is missing, or the Service is ExternalName (not supported here):
   * nginx then answers 503, as upstream does for a backend without endpoints.
   */
  endpoints(namespace: string, name: string, port: number | string): Endpoint[] {
    const svc = this.service(namespace, name);
    const sp = svc?.spec?.ports?.find((p) => (typeof port === 'number' ? p.port === port : p.name === port));
    if (!svc || !sp || svc.spec?.type === 'ExternalName') return [];
    return this.portEndpoints(namespace, name, sp);
  }

  /** endpoints of the Service's first port (upstream's --default-backend-service) */
  firstPortEndpoints(namespace: string, name: string): Endpoint[] {
    const sp = this.service(namespace, name)?.spec?.ports?.[0];
    return sp ? this.portEndpoints(namespace, name, sp) : [];
  }

  private portEndpoints(namespace: string, name: string, sp: V1ServicePort): Endpoint[] {
    if ((sp.protocol ?? 'TCP') !== 'TCP') return [];
    const ready = new Map<string, Endpoint>();
    const terminating = new Map<string, Endpoint>();
    for (const slice of this.slices.get(`${namespace}/${name}`) ?? []) {
      if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
      // the slice port carries the resolved targetPort; it is matched to the Service port by name
      const p = slice.ports?.find((x) => (x.name ?? '') === (sp.name ?? '') && (x.protocol ?? 'TCP') === 'TCP');
      if (!p?.port || p.port < 1 || p.port > 65535) continue;
      for (const e of slice.endpoints ?? []) {
        const address = e.addresses?.[0];
        if (!address || !isIP(address) || address.includes('%')) continue;
        const ep: Endpoint = { address, port: p.port };
        const key = `${address}|${p.port}`;
        // nil conditions mean ready / serving and not terminating (discovery/v1 API docs)
        const isReady = e.conditions?.ready ?? true;
        if (isReady) ready.set(key, ep);
        else if ((e.conditions?.serving ?? isReady) && e.conditions?.terminating) terminating.set(key, ep);
      }
    }
    // terminating-but-serving endpoints only when nothing is ready, so connections drain instead of failing
    return sortEndpoints([...(ready.size ? ready : terminating).values()]);
  }
}

function sortEndpoints(eps: Endpoint[]): Endpoint[] {
  return eps.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
}
