import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { renderRules } from '../src/iptables/rules.js';
import { buildServicePorts } from '../src/service-ports.js';

const svc = (ns: string, name: string, ip: string, ports: Array<{ name?: string; port: number; protocol?: string }>, extra: Partial<V1Service['spec']> = {}): V1Service =>
  ({ metadata: { namespace: ns, name }, spec: { clusterIP: ip, type: 'ClusterIP', ports, ...extra } });
const slice = (ns: string, svcName: string, ports: Array<{ name?: string; port: number }>, eps: Array<{ ip: string; ready?: boolean }>): V1EndpointSlice => ({
  metadata: { namespace: ns, name: `${svcName}-abcde`, labels: { 'kubernetes.io/service-name': svcName } }, addressType: 'IPv4',
  ports: ports.map((p) => ({ ...p, protocol: 'TCP' })),
  endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true } })),
});

// A set of ClusterIP Services covering what the iptables backend renders today.
const services = [
  svc('ns1', 'svc1', '172.30.0.41', [{ name: 'p80', port: 80 }]),
  svc('default', 'sample-clusterip', '10.100.40.52', [{ name: 'http-port', port: 8080 }]),
  svc('ns3', 'multi', '10.96.5.5', [{ name: 'http', port: 80 }, { name: 'https', port: 443 }]),
  svc('ns6', 'svc6', '172.30.0.46', [{ name: 'p80', port: 80 }]),
  svc('ns7', 'headless', 'None', [{ port: 80 }]),
  svc('ns8', 'external', '', [{ port: 80 }], { type: 'ExternalName', externalName: 'example.com' }),
];
const slices = [
  slice('ns1', 'svc1', [{ name: 'p80', port: 80 }], [{ ip: '10.180.0.1' }]),
  slice('default', 'sample-clusterip', [{ name: 'http-port', port: 80 }], [{ ip: '10.244.2.25' }, { ip: '10.244.1.18' }, { ip: '10.244.1.17' }, { ip: '10.244.1.99', ready: false }]),
  slice('ns3', 'multi', [{ name: 'http', port: 8080 }, { name: 'https', port: 8443 }], [{ ip: '10.0.1.5' }, { ip: '10.0.1.1' }]),
  slice('ns6', 'svc6', [{ name: 'p80', port: 80 }], []),
];

describe('iptables rules', () => {
  const { text } = renderRules(buildServicePorts(services, slices), { clusterCIDR: '10.0.0.0/8', masqueradeBit: 14, masqueradeAll: false, randomFully: true });

  it('match the golden dump (regenerate with UPDATE_GOLDEN=1 after checking the diff against upstream)', () => {
    const golden = fileURLToPath(new URL('./golden/clusterip.rules', import.meta.url));
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });

  it('spread over ready endpoints sorted by "ip:port" with %0.10f probabilities, the last rule unconditional', () => {
    const lines = text.split('\n').filter((l) => l.includes('default/sample-clusterip:http-port ->'));
    expect(lines.map((l) => l.match(/-> (\S+?)"/)![1])).toEqual(['10.244.1.17:80', '10.244.1.18:80', '10.244.2.25:80']);
    expect(lines[0]).toContain('--probability 0.3333333333');
    expect(lines[1]).toContain('--probability 0.5000000000');
    expect(lines[2]).not.toContain('statistic');
  });

  it('reject a Service without endpoints and leave headless and ExternalName alone', () => {
    expect(text).toContain('-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT');
    expect(text).not.toContain('headless');
    expect(text).not.toContain('external');
  });
});
