import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { renderRules } from '../src/iptables/rules.js';
import { buildServicePorts } from '../src/service-ports.js';

const local = (ns: string, name: string, nodePort: number, health?: number): V1Service => ({
  metadata: { namespace: ns, name },
  spec: { type: 'NodePort', clusterIP: `10.96.${nodePort % 250}.1`, externalTrafficPolicy: 'Local', healthCheckNodePort: health, ports: [{ name: 'p80', port: 80, nodePort }] },
});
const slice = (ns: string, svc: string, eps: Array<{ ip: string; node: string; ready?: boolean; serving?: boolean; terminating?: boolean }>): V1EndpointSlice => ({
  metadata: { namespace: ns, name: `${svc}-x`, labels: { 'kubernetes.io/service-name': svc } }, addressType: 'IPv4', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }],
  endpoints: eps.map((e) => ({ addresses: [e.ip], nodeName: e.node, conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false } })),
});
const render = (svcs: V1Service[], slices: V1EndpointSlice[]) =>
  renderRules(buildServicePorts(svcs, slices), { nodeName: 'n1', clusterCIDR: '10.244.0.0/16', masqueradeBit: 14, masqueradeAll: false, randomFully: false }).text;

describe('externalTrafficPolicy: Local, as upstream writes it', () => {
  it('routes external traffic to this node\'s endpoints through KUBE-SVL, pod and local traffic through KUBE-SVC', () => {
    const text = render([local('ns11', 'here', 30011)], [slice('ns11', 'here', [{ ip: '10.244.0.5', node: 'n1' }, { ip: '10.244.1.5', node: 'n2' }])]);
    const ext = text.split('\n').filter((l) => l.startsWith('-A KUBE-EXT-'));
    expect(ext.map((l) => l.replace(/KUBE-(EXT|SVC|SVL)-\w+/g, 'KUBE-$1-h'))).toEqual([
      '-A KUBE-EXT-h -m comment --comment "pod traffic for ns11/here:p80 external destinations" -s 10.244.0.0/16 -j KUBE-SVC-h',
      '-A KUBE-EXT-h -m comment --comment "masquerade LOCAL traffic for ns11/here:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ',
      '-A KUBE-EXT-h -m comment --comment "route LOCAL traffic for ns11/here:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-h',
      '-A KUBE-EXT-h -j KUBE-SVL-h',
    ]);
    const svl = text.split('\n').filter((l) => l.startsWith('-A KUBE-SVL-'));
    expect(svl).toHaveLength(1);
    expect(svl[0]).toContain('ns11/here:p80 -> 10.244.0.5:80');
    expect(text).not.toMatch(/-A KUBE-EXT-\S+ -m comment --comment "masquerade traffic/);
  });

  it('drops external traffic on a node without a local endpoint and opens the health check port', () => {
    const text = render([local('ns2', 'svc2', 3001, 30000)], [slice('ns2', 'svc2', [{ ip: '10.180.0.2', node: 'n2' }])]);
    expect(text).toContain('-A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT');
    expect(text).toContain('-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP');
    // as upstream: the NodePort still enters KUBE-EXT so pods and the node itself get through; anything
    // else falls off its end un-DNATed and the filter rule above drops it
    expect(text).toContain('-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT');
    const ext = text.split('\n').filter((l) => l.startsWith('-A KUBE-EXT-'));
    expect(ext).toHaveLength(3);
    expect(ext.some((l) => l.includes('KUBE-SVL'))).toBe(false);
  });

  it('internalTrafficPolicy: Local sends ClusterIP traffic to this node\'s endpoints, and drops it where there are none', () => {
    const svc: V1Service = { metadata: { namespace: 'ns', name: 'itp' }, spec: { clusterIP: '10.96.8.8', internalTrafficPolicy: 'Local', ports: [{ name: 'p80', port: 80 }] } };
    const here = render([svc], [slice('ns', 'itp', [{ ip: '10.244.0.5', node: 'n1' }, { ip: '10.244.1.5', node: 'n2' }])]);
    const svl = here.split('\n').filter((l) => l.includes('KUBE-SVL-')).map((l) => l.replace(/KUBE-(SVL|SEP)-\w+/g, 'KUBE-$1-h'));
    expect(svl).toEqual([
      ':KUBE-SVL-h - [0:0]',
      '-A KUBE-SERVICES -m comment --comment "ns/itp:p80 cluster IP" -m tcp -p tcp -d 10.96.8.8 --dport 80 -j KUBE-SVL-h',
      '-A KUBE-SVL-h -m comment --comment "ns/itp:p80 cluster IP" -m tcp -p tcp -d 10.96.8.8 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ',
      '-A KUBE-SVL-h -m comment --comment "ns/itp:p80 -> 10.244.0.5:80" -j KUBE-SEP-h',
    ]);
    const elsewhere = render([svc], [slice('ns', 'itp', [{ ip: '10.244.1.5', node: 'n2' }])]);
    expect(elsewhere).toContain('-A KUBE-SERVICES -m comment --comment "ns/itp:p80 has no local endpoints" -m tcp -p tcp -d 10.96.8.8 --dport 80 -j DROP');
    expect(elsewhere).not.toContain('KUBE-SVL-');
  });

  it('falls back to serving, terminating endpoints when none is ready (connections drain instead of failing)', () => {
    const svc: V1Service = { metadata: { namespace: 'ns', name: 'drain' }, spec: { clusterIP: '10.96.7.7', ports: [{ name: 'p80', port: 80 }] } };
    const text = render([svc], [slice('ns', 'drain', [{ ip: '10.244.0.9', node: 'n1', ready: false, serving: true, terminating: true }, { ip: '10.244.0.8', node: 'n1', ready: false, serving: false }])]);
    expect(text).not.toContain('has no endpoints');
    expect(text).toContain('-j DNAT --to-destination 10.244.0.9:80');
    expect(text).not.toContain('10.244.0.8');
  });
});
