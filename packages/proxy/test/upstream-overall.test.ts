// Our renderer against upstream's own expected dump for the same Services (golden/upstream-overall.rules):
// ClusterIP, NodePort, externalIPs, a LoadBalancer with externalTrafficPolicy Local and no local
// endpoint, a LoadBalancer with loadBalancerSourceRanges (KUBE-FW), and a Service without endpoints.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { renderRules } from '../src/iptables/rules.js';
import { buildServicePorts } from '../src/service-ports.js';

const svc = (ns: string, name: string, spec: V1Service['spec'], lbIP?: string): V1Service => ({
  metadata: { namespace: ns, name }, spec: { type: 'ClusterIP', ...spec },
  status: lbIP ? { loadBalancer: { ingress: [{ ip: lbIP }] } } : {},
});
const slice = (ns: string, name: string, ips: string[], node = 'other-node'): V1EndpointSlice => ({
  metadata: { namespace: ns, name: `${name}-1`, labels: { 'kubernetes.io/service-name': name } }, addressType: 'IPv4',
  ports: [{ name: 'p80', port: 80, protocol: 'TCP' }], endpoints: ips.map((ip) => ({ addresses: [ip], nodeName: node, conditions: { ready: true } })),
});
const p80 = (nodePort?: number) => [{ name: 'p80', port: 80, protocol: 'TCP', ...(nodePort ? { nodePort } : {}) }];

export const services = [
  svc('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: p80() }),
  svc('ns2', 'svc2', { type: 'LoadBalancer', clusterIP: '172.30.0.42', ports: p80(3001), externalIPs: ['192.168.99.22'], externalTrafficPolicy: 'Local', healthCheckNodePort: 30000 }, '1.2.3.4'),
  svc('ns3', 'svc3', { type: 'NodePort', clusterIP: '172.30.0.43', ports: p80(3003) }),
  svc('ns4', 'svc4', { clusterIP: '172.30.0.44', ports: p80(), externalIPs: ['192.168.99.33'] }),
  svc('ns5', 'svc5', { type: 'LoadBalancer', clusterIP: '172.30.0.45', ports: p80(3002), loadBalancerSourceRanges: [' 203.0.113.0/25'] }, '5.6.7.8'),
  svc('ns6', 'svc6', { clusterIP: '172.30.0.46', ports: p80() }),
];
export const slices = [
  slice('ns1', 'svc1', ['10.180.0.1']), slice('ns2', 'svc2', ['10.180.0.2']), slice('ns3', 'svc3', ['10.180.0.3']),
  slice('ns4', 'svc4', ['10.180.0.4', '10.180.0.5']), slice('ns5', 'svc5', ['10.180.0.3']), slice('ns6', 'svc6', []),
];

/** Chains shared by every Service: rule order across Services is map order upstream, so compare them sorted. */
const SHARED = new Set(['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-EXTERNAL-SERVICES', 'KUBE-PROXY-FIREWALL']);

function normalise(text: string): Record<string, { chains: string[]; rules: Record<string, string[]> }> {
  const out: Record<string, { chains: string[]; rules: Record<string, string[]> }> = {};
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) { table = line.slice(1); out[table] = { chains: [], rules: {} }; continue; }
    if (line.startsWith(':')) out[table]!.chains.push(line.slice(1).split(' ')[0]!);
    if (line.startsWith('-A ')) {
      const chain = line.split(' ')[1]!;
      (out[table]!.rules[chain] ??= []).push(line);
    }
  }
  for (const t of Object.values(out)) {
    t.chains.sort();
    for (const [chain, rules] of Object.entries(t.rules)) {
      if (!SHARED.has(chain)) continue;
      const last = rules.filter((r) => r.includes('NOTE: this must be the last rule'));
      t.rules[chain] = [...rules.filter((r) => !last.includes(r)).sort(), ...last];
    }
  }
  return out;
}

describe('the iptables backend against upstream', () => {
  it('writes, for upstream\'s test Services, the rules upstream\'s own tests expect', () => {
    const ours = renderRules(buildServicePorts(services, slices), {
      nodeName: 'this-node', nodeIP: '192.168.0.2', clusterCIDR: '10.0.0.0/8', masqueradeBit: 14, masqueradeAll: false, randomFully: false, localhostNodePorts: true,
    }).text;
    const upstream = readFileSync(fileURLToPath(new URL('./golden/upstream-overall.rules', import.meta.url)), 'utf8').replace(/^#.*\n/gm, '');
    expect(normalise(ours)).toEqual(normalise(upstream));
  });
});
