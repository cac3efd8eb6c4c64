// Services, EndpointSlices and node facts shared by the ipvs tests.
import type { V1EndpointSlice, V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { BackendOptions } from '../src/backend.js';
import { buildServicePorts, type ServicePort } from '../src/service-ports.js';

export const svc = (ns: string, name: string, clusterIP: string, ports: V1ServicePort[], spec: Partial<NonNullable<V1Service['spec']>> = {}, lbIPs: string[] = []): V1Service => ({
  metadata: { namespace: ns, name },
  spec: { clusterIP, type: 'ClusterIP', ports, ...spec },
  status: lbIPs.length ? { loadBalancer: { ingress: lbIPs.map((ip) => ({ ip })) } } : undefined,
});

export interface Ep { ip: string; node?: string; ready?: boolean; serving?: boolean; terminating?: boolean }

export const slice = (ns: string, service: string, ports: Array<{ name?: string; port: number; protocol?: string }>, eps: Ep[]): V1EndpointSlice => ({
  metadata: { namespace: ns, name: `${service}-x`, labels: { 'kubernetes.io/service-name': service } }, addressType: 'IPv4',
  ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
  endpoints: eps.map((e) => ({
    addresses: [e.ip], nodeName: e.node,
    conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
  })),
});

/** the node of tutorial 000's listing: its InternalIP, docker0 and calico's tunl0 */
export const TUTORIAL_NODE_ADDRESSES = ['192.168.80.10', '172.17.0.1', '10.244.219.64'];

export const options = (o: Partial<BackendOptions> = {}): BackendOptions => ({
  nodeName: 'master', nodeIPs: ['192.168.80.10'], nodePortAddresses: [], clusterCIDR: '10.244.0.0/16',
  masqueradeBit: 14, masqueradeAll: false, ipvsScheduler: '', ...o,
});

/**
 * What tutorial 000 ran when it listed `ipvsadm -Ln` (its lines 63-97): the API server, CoreDNS,
 * svc-nginx (NodePort 32311, three nginx pods) and a NodePort Service (30858) without endpoints.
 */
export function tutorialPorts(affinitySeconds?: number): ServicePort[] {
  const nginx = [{ ip: '10.244.166.190', node: 'node2' }, { ip: '10.244.104.62', node: 'node1' }, { ip: '10.244.166.189', node: 'node2' }];
  const dns = [{ ip: '10.244.219.75', node: 'master' }, { ip: '10.244.219.74', node: 'master' }];
  return buildServicePorts([
    svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443 }]),
    svc('kube-system', 'kube-dns', '10.96.0.10', [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }, { name: 'metrics', port: 9153 }]),
    svc('test', 'svc-nginx', '10.109.206.2', [{ port: 80, nodePort: 32311 }], {
      type: 'NodePort', ...(affinitySeconds ? { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: affinitySeconds } } } : {}),
    }),
    svc('test', 'svc-other', '10.109.23.222', [{ port: 80, nodePort: 30858 }], { type: 'NodePort' }),
  ], [
    slice('default', 'kubernetes', [{ name: 'https', port: 6443 }], [{ ip: '192.168.80.10', node: 'master' }]),
    slice('kube-system', 'kube-dns', [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }, { name: 'metrics', port: 9153 }], dns),
    slice('test', 'svc-nginx', [{ port: 80 }], nginx),
  ]);
}

/** a wider set: every kind of virtual server, ipset and traffic policy the ipvs mode handles */
export function widePorts(): ServicePort[] {
  const p = (name: string, port: number, more: Partial<V1ServicePort> = {}): V1ServicePort => ({ name, port, ...more });
  return buildServicePorts([
    svc('default', 'kubernetes', '10.96.0.1', [p('https', 443)]),
    // multi-port, TCP and UDP
    svc('kube-system', 'kube-dns', '10.96.0.10', [p('dns', 53, { protocol: 'UDP' }), p('dns-tcp', 53), p('metrics', 9153)]),
    // NodePort on every node address, an external IP, a not-ready endpoint left out
    svc('ns1', 'web', '10.96.1.1', [p('http', 80, { nodePort: 30080 })], { type: 'NodePort', externalIPs: ['192.168.99.11'] }),
    // ClientIP affinity: the default timeout (10800 s), and tutorial 000's timeoutSeconds: 100
    svc('ns1', 'sticky', '10.96.1.2', [p('http', 80)], { sessionAffinity: 'ClientIP' }),
    svc('ns1', 'sticky100', '10.96.1.3', [p('http', 80, { nodePort: 30100 })], { type: 'NodePort', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 100 } } }),
    // externalTrafficPolicy Local behind a load balancer whose source ranges leave the node out
    svc('ns2', 'local-lb', '10.96.2.1', [p('https', 443, { nodePort: 30443 })], {
      type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 32000, loadBalancerSourceRanges: ['10.0.0.0/8'],
    }, ['203.0.113.10']),
    // a load balancer the node itself may use (its address is inside a source range)
    svc('ns2', 'open-lb', '10.96.2.2', [p('http', 80, { nodePort: 30081 })], { type: 'LoadBalancer', loadBalancerSourceRanges: ['192.168.80.0/24', '198.51.100.7/32'] }, ['203.0.113.11']),
    // Local policy without a local endpoint: all endpoints (kubernetes#97081)
    svc('ns3', 'udp-local', '10.96.3.1', [p('dns', 53, { protocol: 'UDP', nodePort: 30053 })], { type: 'NodePort', externalTrafficPolicy: 'Local' }),
    // internalTrafficPolicy Local without a local endpoint and no external way in: no real servers
    svc('ns4', 'itp', '10.96.4.1', [p('http', 80)], { internalTrafficPolicy: 'Local' }),
    // only terminating endpoints that still serve: they drain the traffic
    svc('ns5', 'drain', '10.96.5.1', [p('http', 80)]),
    svc('ns6', 'empty', '10.96.6.1', [p('http', 80)]),
    svc('ns7', 'sctp', '10.96.7.1', [p('sctp', 9999, { protocol: 'SCTP', nodePort: 30099 })], { type: 'NodePort' }),
    svc('ns8', 'headless', 'None', [p('http', 80)]),
  ], [
    slice('default', 'kubernetes', [{ name: 'https', port: 6443 }], [{ ip: '192.168.80.10', node: 'master' }]),
    slice('kube-system', 'kube-dns', [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }, { name: 'metrics', port: 9153 }],
      [{ ip: '10.244.0.5', node: 'master' }, { ip: '10.244.1.5', node: 'node1' }]),
    slice('ns1', 'web', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.10', node: 'node1' }, { ip: '10.244.2.10', node: 'node2' }, { ip: '10.244.2.11', node: 'node2', ready: false }]),
    slice('ns1', 'sticky', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.20', node: 'node1' }, { ip: '10.244.2.20', node: 'node2' }]),
    slice('ns1', 'sticky100', [{ name: 'http', port: 80 }], [{ ip: '10.244.0.30', node: 'master' }]),
    slice('ns2', 'local-lb', [{ name: 'https', port: 8443 }], [{ ip: '10.244.0.40', node: 'master' }, { ip: '10.244.1.40', node: 'node1' }]),
    slice('ns2', 'open-lb', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.41', node: 'node1' }]),
    slice('ns3', 'udp-local', [{ name: 'dns', port: 5353, protocol: 'UDP' }], [{ ip: '10.244.1.50', node: 'node1' }]),
    slice('ns4', 'itp', [{ name: 'http', port: 80 }], [{ ip: '10.244.1.60', node: 'node1' }]),
    slice('ns5', 'drain', [{ name: 'http', port: 80 }], [{ ip: '10.244.0.70', node: 'master', ready: false, serving: true, terminating: true }, { ip: '10.244.1.70', node: 'node1', ready: false, serving: false }]),
    slice('ns7', 'sctp', [{ name: 'sctp', port: 9999, protocol: 'SCTP' }], [{ ip: '10.244.1.80', node: 'node1' }]),
  ]);
}
