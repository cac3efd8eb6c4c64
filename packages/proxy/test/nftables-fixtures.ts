// Shared by the nftables tests: upstream's test Services (pkg/proxy/nftables/proxier_test.go
// TestOverallNFTablesRules, same names, IPs and node conventions), the rest of the features, and an
// nft runner that records transactions instead of running them.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { BackendOptions } from '../src/backend.js';
import type { NftRunner } from '../src/nftables/runner.js';
import { buildServicePorts, type ServicePort } from '../src/service-ports.js';

type Port = { name?: string; port: number; protocol?: string; nodePort?: number };
type Ep = { ip: string; node?: string; ready?: boolean; serving?: boolean; terminating?: boolean };

export function service(ns: string, name: string, spec: Partial<NonNullable<V1Service['spec']>> & { ports: Port[] }, lbIPs: string[] = []): V1Service {
  return {
    metadata: { namespace: ns, name },
    spec: { type: 'ClusterIP', ...spec, ports: spec.ports.map((p) => ({ protocol: 'TCP', ...p })) } as V1Service['spec'],
    status: { loadBalancer: { ingress: lbIPs.map((ip) => ({ ip })) } },
  };
}

export function slice(ns: string, svc: string, ports: Port[], eps: Ep[]): V1EndpointSlice {
  return {
    metadata: { namespace: ns, name: `${svc}-abcde`, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
    endpoints: eps.map((e) => ({
      addresses: [e.ip], nodeName: e.node,
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
    })),
  };
}

const p80 = [{ name: 'p80', port: 80 }];

/** TestOverallNFTablesRules' six Services and their endpoints, verbatim in substance. */
export const upstreamServices: V1Service[] = [
  service('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: p80 }),
  service('ns2', 'svc2', {
    type: 'LoadBalancer', externalTrafficPolicy: 'Local', clusterIP: '172.30.0.42', externalIPs: ['192.168.99.22'], healthCheckNodePort: 30000,
    ports: [{ name: 'p80', port: 80, nodePort: 3001 }],
  }, ['1.2.3.4']),
  service('ns3', 'svc3', { type: 'NodePort', clusterIP: '172.30.0.43', ports: [{ name: 'p80', port: 80, nodePort: 3003 }] }),
  service('ns4', 'svc4', { type: 'NodePort', clusterIP: '172.30.0.44', externalIPs: ['192.168.99.33'], ports: p80 }),
  service('ns5', 'svc5', {
    type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', clusterIP: '172.30.0.45', healthCheckNodePort: 30000,
    loadBalancerSourceRanges: [' 203.0.113.0/25'], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    ports: [{ name: 'p80', port: 80, nodePort: 3002 }],
  }, ['5.6.7.8']),
  service('ns6', 'svc6', { clusterIP: '172.30.0.46', ports: p80 }),
];

export const upstreamSlices: V1EndpointSlice[] = [
  slice('ns1', 'svc1', p80, [{ ip: '10.180.0.1' }]),
  // no node name: not local, so svc2 (externalTrafficPolicy Local) has no local endpoint
  slice('ns2', 'svc2', p80, [{ ip: '10.180.0.2' }]),
  slice('ns3', 'svc3', p80, [{ ip: '10.180.0.3' }]),
  slice('ns4', 'svc4', p80, [{ ip: '10.180.0.4' }, { ip: '10.180.0.5', node: 'test-node' }]),
  slice('ns5', 'svc5', p80, [{ ip: '10.180.0.3' }]),
];

/** What upstream's test does not cover together: multi-protocol ports, both Local policies, draining endpoints, allowFromNode. */
export const featureServices: V1Service[] = [
  service('ns7', 'dns', {
    clusterIP: '172.30.0.47',
    ports: [{ name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'dns-udp', port: 53, protocol: 'UDP' }, { name: 'http', port: 80 }],
  }),
  service('ns8', 'itp-here', { clusterIP: '172.30.0.48', internalTrafficPolicy: 'Local', ports: p80 }),
  service('ns9', 'itp-elsewhere', { clusterIP: '172.30.0.49', internalTrafficPolicy: 'Local', ports: p80 }),
  service('ns10', 'etp-here', {
    type: 'LoadBalancer', externalTrafficPolicy: 'Local', clusterIP: '172.30.0.50', healthCheckNodePort: 30010,
    ports: [{ name: 'p80', port: 80, nodePort: 3010 }],
  }, ['9.10.11.12']),
  service('ns11', 'draining', { clusterIP: '172.30.0.51', ports: p80 }),
  service('ns12', 'lb-from-node', {
    type: 'LoadBalancer', clusterIP: '172.30.0.52', loadBalancerSourceRanges: ['192.168.0.0/24', '203.0.113.0/25'],
    ports: [{ name: 'p80', port: 80, nodePort: 3012 }],
  }, ['1.2.3.5', '1.2.3.6']),
];

export const featureSlices: V1EndpointSlice[] = [
  slice('ns7', 'dns', [{ name: 'dns-tcp', port: 5353, protocol: 'TCP' }, { name: 'dns-udp', port: 53, protocol: 'UDP' }, { name: 'http', port: 8080 }],
    [{ ip: '10.180.1.2', node: 'node2' }, { ip: '10.180.0.7', node: 'test-node' }]),
  slice('ns8', 'itp-here', p80, [{ ip: '10.180.0.8', node: 'test-node' }, { ip: '10.180.1.8', node: 'node2' }]),
  slice('ns9', 'itp-elsewhere', p80, [{ ip: '10.180.1.9', node: 'node2' }]),
  slice('ns10', 'etp-here', p80, [{ ip: '10.180.0.10', node: 'test-node' }, { ip: '10.180.1.10', node: 'node2' }, { ip: '10.180.0.11', node: 'test-node', ready: false }]),
  // nothing ready: the serving, terminating endpoint keeps answering; the not-serving one gets nothing
  slice('ns11', 'draining', p80, [{ ip: '10.180.0.12', ready: false, serving: true, terminating: true }, { ip: '10.180.0.13', ready: false, serving: false, terminating: true }]),
  slice('ns12', 'lb-from-node', p80, [{ ip: '10.180.0.14' }]),
];

export const allPorts = (): ServicePort[] => buildServicePorts([...upstreamServices, ...featureServices], [...upstreamSlices, ...featureSlices]);

/** upstream's NewFakeProxier conventions */
export const backendOptions: BackendOptions = {
  nodeName: 'test-node',
  nodeIPs: ['192.168.0.2'],
  nodePortAddresses: ['192.168.0.2/32'],
  clusterCIDR: '10.0.0.0/8',
  masqueradeBit: 14,
  masqueradeAll: false,
  ipvsScheduler: '',
};

/** Records every `nft -f` transaction; answers listings as for an empty host (or as told). */
export class RecordingNft implements NftRunner {
  transactions: string[] = [];
  tables = '';
  failNext = false;

  async run(args: string[], input?: string): Promise<string> {
    if (args[0] === '-f') {
      if (this.failNext) { this.failNext = false; throw new Error('nft -f - failed: Error: Could not process rule: No such file or directory'); }
      this.transactions.push(input ?? '');
      return '';
    }
    if (args.join(' ') === 'list tables ip') return this.tables;
    if (args[0] === '-j') return '{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}]}';
    if (args[0] === '--version') return 'nftables v1.0.6 (Lester Gooch #5)';
    throw new Error(`unexpected nft ${args.join(' ')}`);
  }

  /** upstream's fake network: lo plus eth0 with the node IPs and an external IP */
  async localAddresses(): Promise<string[]> {
    return ['127.0.0.1', '192.168.0.2', '192.168.1.2', '192.168.99.11'];
  }

  get last(): string { return this.transactions.at(-1) ?? ''; }
}
