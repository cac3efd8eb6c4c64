// What the apiserver itself creates at start, as kube-apiserver does: the system namespaces and the
// `kubernetes` Service (first address of the service CIDR) with Endpoints / EndpointSlice pointing at
// the apiserver's advertised address.
import type { Registry } from './registry.js';
import { findResource } from './resources.js';
import type { KubeObject } from './types.js';

const t = (g: string, r: string) => findResource(g, g ? 'v1' : 'v1', r)!;

/** `advertise` is where in-cluster clients reach the apiserver; without one (a standalone apiserver) the
 * kubernetes Service has no endpoints. */
export function bootstrap(registry: Registry, advertise: { ip: string; port: number } | undefined, kubernetesIP: string): void {
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    registry.create(t('', 'namespaces'), undefined, { metadata: { name } });
    registry.create(t('', 'serviceaccounts'), name, { metadata: { name: 'default', namespace: name } });
  }
  const labels = { component: 'apiserver', provider: 'kubernetes' };
  registry.create(t('', 'services'), 'default', {
    metadata: { name: 'kubernetes', labels },
    spec: { type: 'ClusterIP', clusterIP: kubernetesIP, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: advertise?.port ?? 6443 }], sessionAffinity: 'None' },
  } as KubeObject);
  if (!advertise) return;
  registry.create(t('', 'endpoints'), 'default', {
    metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: advertise.ip }], ports: [{ name: 'https', port: advertise.port, protocol: 'TCP' }] }],
  } as KubeObject);
  registry.create(t('discovery.k8s.io', 'endpointslices'), 'default', {
    metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [advertise.ip], conditions: { ready: true } }],
    ports: [{ name: 'https', port: advertise.port, protocol: 'TCP' }],
  } as KubeObject);
}
