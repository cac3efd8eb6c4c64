// The Service model `pnpm bench proxy` hands the backends: N ClusterIP Services, one TCP port each,
// 5 ready endpoints each, built directly as ServicePorts (no apiserver involved). Names are
// zero-padded, so the model's sort order (by name) is creation order and the last Service is the
// last KUBE-SERVICES rule iptables walks.
import type { Endpoint, ServicePort } from '../../../proxy/src/service-ports.js';
import { endpointString } from '../../../proxy/src/service-ports.js';

export const NAMESPACE = 'bench';
export const PORT = 80;
export const TARGET_PORT = 8080;
export const ENDPOINTS_PER_SERVICE = 5;
/** the pod network; every generated endpoint is in it (10.244.0.1 … 10.244.195.80 at 10k Services) */
export const CLUSTER_CIDR = '10.244.0.0/16';
/** the real endpoints the server namespace holds (beyond the generated ones): 10.244.255.1–5 */
export const SERVER_ENDPOINTS = Array.from({ length: ENDPOINTS_PER_SERVICE }, (_, e) => `10.244.255.${e + 1}`);

export const intToIPv4 = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
const base = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

const CLUSTER_IP_BASE = base('10.96.0.0');
const CHANGED_IP_BASE = base('10.97.0.0');
const POD_BASE = base('10.244.0.0');

const byEndpoint = (a: Endpoint, b: Endpoint) => (endpointString(a) < endpointString(b) ? -1 : endpointString(a) > endpointString(b) ? 1 : 0);

function servicePort(service: string, clusterIP: string, ips: string[]): ServicePort {
  return {
    name: `${NAMESPACE}/${service}:http`, namespace: NAMESPACE, service, portName: 'http', protocol: 'TCP',
    clusterIP, port: PORT, nodePort: 0, externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [],
    affinitySeconds: 0, externalLocal: false, internalLocal: false, healthCheckNodePort: 0,
    endpoints: ips.map((ip): Endpoint => ({ ip, port: TARGET_PORT, ready: true, serving: true, terminating: false })).sort(byEndpoint),
  };
}

/**
 * `count` Services svc-00000 … svc-<count-1>, ClusterIPs from 10.96.0.1 up; the last one's endpoints
 * are the server namespace's addresses, every other endpoint is an address nobody holds.
 */
export function generateModel(count: number): ServicePort[] {
  return Array.from({ length: count }, (_, i) => servicePort(
    `svc-${String(i).padStart(5, '0')}`,
    intToIPv4(CLUSTER_IP_BASE + 1 + i),
    i === count - 1 ? SERVER_ENDPOINTS : Array.from({ length: ENDPOINTS_PER_SERVICE }, (_, e) => intToIPv4(POD_BASE + 1 + i * ENDPOINTS_PER_SERVICE + e)),
  ));
}

/** the Service the latency figures connect to: the last one */
export const target = (model: ServicePort[]) => model[model.length - 1]!;

/** The k-th single-Service change: a new Service "svc-new-<k>" (sorting after every generated one), ClusterIP 10.97.x.y. */
export function newService(k: number): ServicePort {
  const ips = Array.from({ length: ENDPOINTS_PER_SERVICE }, (_, e) => intToIPv4(POD_BASE + 60_000 + k * ENDPOINTS_PER_SERVICE + e));
  return servicePort(`svc-new-${String(k).padStart(3, '0')}`, intToIPv4(CHANGED_IP_BASE + 1 + k), ips);
}

/** One Service's endpoints changed (a rollout replaced one pod): the model with Service `index`'s first endpoint moved. */
export function withMovedEndpoint(model: ServicePort[], index: number, generation: number): ServicePort[] {
  const sp = model[index]!;
  const moved = intToIPv4(POD_BASE + 61_000 + generation);
  const endpoints = [{ ...sp.endpoints[0]!, ip: moved }, ...sp.endpoints.slice(1)].sort(byEndpoint);
  const out = [...model];
  out[index] = { ...sp, endpoints };
  return out;
}
