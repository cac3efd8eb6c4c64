// Figure 4's input: a cluster snapshot of HOSTS × PATHS Ingresses (one host and one Prefix path each,
// h<i>.bench/p<j> → Service s<i>-<j>:80 with two ready endpoints), the IngressClass nginx, and the
// model the controller builds from it. Endpoints are made up: nothing is sent to them.
import type { V1EndpointSlice, V1Ingress, V1IngressClass, V1Service } from '@kubernetes/client-node';
import { buildModel, DEFAULT_LOCATION_CONFIG, type BuildOptions, type ClusterSnapshot } from '../../../ingress/src/build/build.js';
import type { IngressModel } from '../../../ingress/src/model.js';

export const HOSTS = 100;
export const PATHS = 10;
const NS = 'bench';
const CREATED = new Date('2025-01-01T00:00:00Z');

const OPTIONS: BuildOptions = {
  ingressClass: 'nginx', controllerClass: 'k8s.io/ingress-nginx', watchIngressWithoutClass: false,
  defaults: { ...DEFAULT_LOCATION_CONFIG, allowSourceRanges: [] },
};

const ingressClass: V1IngressClass = { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } };

function ingress(name: string, host: string, path: string, service: string): V1Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: { namespace: NS, name, creationTimestamp: CREATED, uid: name },
    spec: { ingressClassName: 'nginx', rules: [{ host, http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name: service, port: { number: 80 } } } }] } }] },
  };
}

const service = (name: string): V1Service => ({ metadata: { namespace: NS, name }, spec: { type: 'ClusterIP', ports: [{ protocol: 'TCP', port: 80, targetPort: 8080 as never }] } });

const slice = (svc: string, n: number): V1EndpointSlice => ({
  metadata: { namespace: NS, name: `${svc}-x`, labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  ports: [{ protocol: 'TCP', port: 8080 }],
  endpoints: [0, 1].map((k) => ({ addresses: [`10.${100 + (n >> 8)}.${n & 255}.${10 + k}`], conditions: { ready: true } })),
});

/** HOSTS × PATHS Ingresses, plus `extra` more (new hosts x<k>.bench), each with its own Service */
export function snapshot(extra = 0): ClusterSnapshot {
  const s: ClusterSnapshot = { ingresses: [], ingressClasses: [ingressClass], services: [], endpointSlices: [], secrets: [] };
  const add = (name: string, host: string, path: string) => {
    const n = s.services.length;
    s.ingresses.push(ingress(name, host, path, name));
    s.services.push(service(name));
    s.endpointSlices.push(slice(name, n));
  };
  for (let i = 0; i < HOSTS; i++) for (let j = 0; j < PATHS; j++) add(`s${i}-${j}`, `h${i}.bench`, `/p${j}`);
  for (let k = 1; k <= extra; k++) add(`x${k}`, `x${k}.bench`, '/');
  return s;
}

export function model(s: ClusterSnapshot): IngressModel {
  const m = buildModel(s, OPTIONS);
  if (m.rejected.length) throw new Error(`the bench's own Ingresses were refused: ${m.rejected[0]!.reason}`);
  return m;
}
