import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { RenderCache, renderRules } from '../src/iptables/rules.js';
import { buildServicePorts } from '../src/service-ports.js';

const svc = (ns: string, name: string, ip: string, ports: Array<{ name?: string; port: number; protocol?: string }>, extra: Partial<V1Service['spec']> = {}): V1Service =>
  ({ metadata: { namespace: ns, name }, spec: { clusterIP: ip, type: 'ClusterIP', ports, ...extra } });
const slice = (ns: string, svcName: string, ports: Array<{ name?: string; port: number; protocol?: string }>, eps: Array<{ ip: string; ready?: boolean }>): V1EndpointSlice => ({
  metadata: { namespace: ns, name: `${svcName}-abcde`, labels: { 'kubernetes.io/service-name': svcName } }, addressType: 'IPv4',
  ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
  endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true } })),
});

// A set of Services covering the iptables backend's features (upstream-overall.test.ts compares
// another set with upstream's own expected dump).
const services = [
  svc('ns1', 'svc1', '172.30.0.41', [{ name: 'p80', port: 80 }]),
  svc('default', 'sample-clusterip', '10.100.40.52', [{ name: 'http-port', port: 8080 }]),
  svc('ns3', 'multi', '10.96.5.5', [{ name: 'http', port: 80 }, { name: 'https', port: 443 }]),
  svc('ns6', 'svc6', '172.30.0.46', [{ name: 'p80', port: 80 }]),
  svc('ns7', 'headless', 'None', [{ port: 80 }]),
  svc('ns2', 'svc2', '172.30.0.42', [{ name: 'p80', port: 80, nodePort: 3001 } as never], { type: 'NodePort', externalIPs: ['192.168.99.11'] }),
  svc('ns9', 'sticky', '10.96.9.9', [{ name: 'http', port: 80 }], { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 100 } } }),
  svc('ns10', 'np-empty', '10.96.10.10', [{ name: 'http', port: 80, nodePort: 30010 } as never], { type: 'NodePort' }),
  svc('ns8', 'external', '', [{ port: 80 }], { type: 'ExternalName', externalName: 'example.com' }),
  svc('kube-system', 'kube-dns', '10.96.0.10', [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }]),
  { ...svc('ns12', 'lb', '10.96.12.12', [{ name: 'http', port: 80, nodePort: 30012 } as never], { type: 'LoadBalancer', loadBalancerSourceRanges: ['203.0.113.0/25', '198.51.100.0/24'] }),
    status: { loadBalancer: { ingress: [{ ip: '5.6.7.9' }] } } },
];
const slices = [
  slice('ns1', 'svc1', [{ name: 'p80', port: 80 }], [{ ip: '10.180.0.1' }]),
  slice('default', 'sample-clusterip', [{ name: 'http-port', port: 80 }], [{ ip: '10.244.2.25' }, { ip: '10.244.1.18' }, { ip: '10.244.1.17' }, { ip: '10.244.1.99', ready: false }]),
  slice('ns3', 'multi', [{ name: 'http', port: 8080 }, { name: 'https', port: 8443 }], [{ ip: '10.0.1.5' }, { ip: '10.0.1.1' }]),
  slice('ns6', 'svc6', [{ name: 'p80', port: 80 }], []),
  slice('ns2', 'svc2', [{ name: 'p80', port: 80 }], [{ ip: '10.180.0.2' }]),
  slice('ns9', 'sticky', [{ name: 'http', port: 80 }], [{ ip: '10.244.1.5' }, { ip: '10.244.2.5' }]),
  slice('kube-system', 'kube-dns', [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }], [{ ip: '10.244.0.2' }, { ip: '10.244.0.3' }]),
  slice('ns12', 'lb', [{ name: 'http', port: 8080 }], [{ ip: '10.244.2.7' }]),
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

  it('send NodePort and external-IP traffic through KUBE-EXT, which masquerades it, as upstream', () => {
    expect(text).toContain('-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT');
    expect(text).toContain('-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 external IP" -m tcp -p tcp -d 192.168.99.11 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT');
    expect(text).toContain('-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade traffic for ns2/svc2:p80 external destinations" -j KUBE-MARK-MASQ');
    expect(text).toContain('-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns10/np-empty:http has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30010 -j REJECT');
  });

  it('pin ClientIP affinity with -m recent, named after the endpoint chain, before the random rules', () => {
    const lines = text.split('\n').filter((l) => l.includes('ns9/sticky:http'));
    const sep = lines.find((l) => l.includes('--rcheck'))!.match(/--name (KUBE-SEP-\w+)/)![1];
    expect(lines.filter((l) => l.includes('--rcheck --seconds 100 --reap'))).toHaveLength(2);
    expect(lines.findIndex((l) => l.includes('--rcheck'))).toBeLessThan(lines.findIndex((l) => l.includes('statistic')));
    expect(text).toContain(`-A ${sep} -m comment --comment ns9/sticky:http -m recent --name ${sep} --set -m tcp -p tcp -j DNAT --to-destination 10.244.1.5:80`);
  });

  it('match UDP with -m udp -p udp, each port of a multi-port Service in its own chains', () => {
    expect(text).toContain('-A KUBE-SERVICES -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp -p udp -d 10.96.0.10 --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU');
    expect(text).toContain('-A KUBE-SERVICES -m comment --comment "kube-system/kube-dns:dns-tcp cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 53 -j KUBE-SVC-ERIFXISQEP7F7OF4');
  });

  it('admit only loadBalancerSourceRanges to a load-balancer IP through KUBE-FW, dropping the rest in the filter table', () => {
    const fw = text.split('\n').filter((l) => l.includes('KUBE-FW-'));
    expect(fw.filter((l) => l.startsWith('-A KUBE-FW-')).map((l) => l.replace(/KUBE-(FW|EXT)-\w+/g, 'KUBE-$1-h'))).toEqual([
      '-A KUBE-FW-h -m comment --comment "ns12/lb:http loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-h',
      '-A KUBE-FW-h -m comment --comment "ns12/lb:http loadbalancer IP" -s 198.51.100.0/24 -j KUBE-EXT-h',
      '-A KUBE-FW-h -m comment --comment "other traffic to ns12/lb:http will be dropped by KUBE-PROXY-FIREWALL"',
    ]);
    expect(text).toMatch(/-A KUBE-SERVICES -m comment --comment "ns12\/lb:http loadbalancer IP" -m tcp -p tcp -d 5.6.7.9 --dport 80 -j KUBE-FW-\w+/);
    expect(text).toMatch(/-A KUBE-PROXY-FIREWALL -m comment --comment "ns12\/lb:http traffic not accepted by KUBE-FW-\w+" -m tcp -p tcp -d 5.6.7.9 --dport 80 -j DROP/);
  });

  it('reject a Service without endpoints and leave headless and ExternalName alone', () => {
    expect(text).toContain('-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT');
    expect(text).not.toContain('ns7/headless');
    expect(text).not.toContain('ns8/external');
  });
});

const scaled = (services: number) => Array.from({ length: services }, (_, i) => ({
  name: `ns/s${i}:p`, namespace: 'ns', service: `s${i}`, portName: 'p', protocol: 'TCP' as const, clusterIP: `10.96.${i >> 8}.${i & 255}`, port: 80, nodePort: 0,
  externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], affinitySeconds: 0, externalLocal: false, internalLocal: false, healthCheckNodePort: 0,
  endpoints: Array.from({ length: 5 }, (_, j) => ({ ip: `10.244.${((i * 5 + j) >> 8) & 255}.${(i * 5 + j) & 255}`, port: 80, ready: true, serving: true, terminating: false })),
}));
const scaleOptions = { clusterCIDR: '10.244.0.0/16', masqueradeBit: 14, masqueradeAll: false, randomFully: true };

describe('iptables rules at scale', () => {
  it('render 10k Services × 5 endpoints (about 160k nat rules) without overflowing the stack', () => {
    const ports = scaled(10_000);
    const r = renderRules(ports, scaleOptions);
    expect(r.natChains).toHaveLength(60_000);
    expect(r.text.split('\n').filter((l) => l.includes('-j DNAT'))).toHaveLength(50_000);
  });

  it('drop the per-endpoint comments above 1000 endpoints, as upstream\'s large-cluster mode; Service rules keep theirs', () => {
    const sep = (text: string) => text.split('\n').filter((l) => l.startsWith('-A KUBE-SEP-') || (l.startsWith('-A KUBE-SVC-') && l.includes('-j KUBE-SEP-')));
    const small = sep(renderRules(scaled(200), scaleOptions).text); // exactly 1000 endpoints
    const large = renderRules(scaled(201), scaleOptions).text; // 1005
    expect(small.every((l) => l.includes('-m comment --comment'))).toBe(true);
    expect(sep(large)).toHaveLength(small.length + 5 * 3);
    expect(sep(large).some((l) => l.includes('--comment'))).toBe(false);
    expect(large).toContain('-A KUBE-SEP-');
    expect(large).toMatch(/^-A KUBE-SERVICES -m comment --comment "ns\/s200:p cluster IP" -m tcp -p tcp -d 10\.96\.0\.200 --dport 80 -j KUBE-SVC-\w+$/m);
    expect(large).toMatch(/^-A KUBE-SVC-\w+ -m comment --comment "ns\/s200:p cluster IP" -m tcp -p tcp -d 10\.96\.0\.200 --dport 80 ! -s 10\.244\.0\.0\/16 -j KUBE-MARK-MASQ$/m);
  });

  it('render a partial sync from the cache exactly as from scratch, re-rendering only the changed Service', () => {
    const cache = new RenderCache();
    const before = scaled(300);
    renderRules(before, scaleOptions, { cache });
    const after = before.map((sp, i) => (i === 7 ? { ...sp, endpoints: sp.endpoints.slice(1) } : sp));
    after.splice(9, 1); // and one Service removed
    const changed = new Set([after[7]!.name, before[9]!.name]);
    const cached = renderRules(after, scaleOptions, { cache, changed });
    expect(cached.text).toBe(renderRules(after, scaleOptions, { changed }).text);
    expect(cached.text).not.toContain(`10.96.0.9 `);
    expect(cached.writtenChains).toBe(1 + 4);
  });
});
