import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { BackendOptions } from '../src/backend.js';
import type { IptablesRunner } from '../src/iptables/proxier.js';
import { buildServicePorts } from '../src/service-ports.js';
import { missingJumps, PORTAL_JUMPS, renderCleanup, renderPortals, toPortal } from '../src/userspace/portals.js';
import { UserspaceProxier } from '../src/userspace/proxier.js';

const svc = (ns: string, name: string, spec: V1Service['spec'], ingressIP?: string): V1Service =>
  ({ metadata: { namespace: ns, name }, spec, status: ingressIP ? { loadBalancer: { ingress: [{ ip: ingressIP }] } } : {} });
const slice = (ns: string, name: string, ports: Array<{ name: string; port: number; protocol?: string }>): V1EndpointSlice => ({
  metadata: { namespace: ns, name: `${name}-x`, labels: { 'kubernetes.io/service-name': name } }, addressType: 'IPv4',
  ports, endpoints: [{ addresses: ['10.244.1.11'] }],
});

// ClusterIP with TCP and UDP ports, NodePort, external IP, and a LoadBalancer (cluster IP + NodePort + ingress IP)
const services = [
  svc('kube-system', 'dns', { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'metrics', port: 9153 }] }),
  svc('test', 'svc-nginx', { type: 'NodePort', clusterIP: '10.109.206.2', ports: [{ port: 80, nodePort: 32311 } as never] }),
  svc('test', 'svc-ext', { type: 'ClusterIP', clusterIP: '10.96.30.30', externalIPs: ['192.168.99.11'], ports: [{ name: 'http', port: 8080 }] }),
  svc('test', 'svc-lb', { type: 'LoadBalancer', clusterIP: '10.96.40.40', ports: [{ name: 'https', port: 443, nodePort: 30443 } as never] }, '203.0.113.7'),
];
const slices = [
  slice('kube-system', 'dns', [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }, { name: 'metrics', port: 9153 }]),
  slice('test', 'svc-nginx', [{ name: '', port: 80 }]),
];
const portals = buildServicePorts(services, slices).map((sp, i) => toPortal(sp as typeof sp & { protocol: 'TCP' | 'UDP' }, 40001 + i));

describe('userspace portal rules', () => {
  const text = renderPortals(portals, { hostIP: '172.18.0.2' }, PORTAL_JUMPS);

  it('match the golden dump of a first sync (regenerate with UPDATE_GOLDEN=1 after checking the diff against upstream)', () => {
    const golden = fileURLToPath(new URL('./golden/userspace-portals.rules', import.meta.url));
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });

  it('REDIRECT container traffic to the proxy port and DNAT the node\'s own traffic to <node IP>:<proxy port>, commented ns/svc:port', () => {
    expect(text).toContain('-A KUBE-PORTALS-CONTAINER -m comment --comment kube-system/dns:dns -p udp -m udp --dport 53 -d 10.96.0.10/32 -j REDIRECT --to-ports 40001');
    expect(text).toContain('-A KUBE-PORTALS-HOST -m comment --comment kube-system/dns:dns -p udp -m udp --dport 53 -d 10.96.0.10/32 -j DNAT --to-destination 172.18.0.2:40001');
    expect(text).toContain('-A KUBE-PORTALS-CONTAINER -m comment --comment kube-system/dns:dns-tcp -p tcp -m tcp --dport 53 -d 10.96.0.10/32 -j REDIRECT --to-ports 40002');
  });

  it('open a NodePort on every local address through the addrtype-LOCAL jump, and accept its proxy port in filter', () => {
    expect(text).toContain('-A KUBE-NODEPORT-CONTAINER -m comment --comment test/svc-nginx -p tcp -m tcp --dport 32311 -j REDIRECT --to-ports 40006');
    expect(text).toContain('-A KUBE-NODEPORT-HOST -m comment --comment test/svc-nginx -p tcp -m tcp --dport 32311 -j DNAT --to-destination 172.18.0.2:40006');
    expect(text).toContain('-A KUBE-NODEPORT-NON-LOCAL -m comment --comment test/svc-nginx -p tcp -m tcp --dport 40006 -m state --state NEW -j ACCEPT');
    expect(text).toContain('-A PREROUTING -m addrtype --dst-type LOCAL -m comment --comment "handle service NodePorts; NOTE: this must be the last rule in the chain" -j KUBE-NODEPORT-CONTAINER');
    expect(text).toContain('-I PREROUTING 1 -m comment --comment "handle ClusterIPs; NOTE: this must be before the NodePort rules" -j KUBE-PORTALS-CONTAINER');
  });

  it('catch an external IP from outside (not bridged in) and, when it is a local address, from anywhere', () => {
    const ext = text.split('\n').filter((l) => l.includes('192.168.99.11'));
    expect(ext).toEqual([
      '-A KUBE-PORTALS-CONTAINER -m comment --comment test/svc-ext:http -p tcp -m tcp --dport 8080 -d 192.168.99.11/32 -m physdev ! --physdev-is-in -j REDIRECT --to-ports 40004',
      '-A KUBE-PORTALS-CONTAINER -m comment --comment test/svc-ext:http -p tcp -m tcp --dport 8080 -d 192.168.99.11/32 -m addrtype --dst-type LOCAL -j REDIRECT --to-ports 40004',
      '-A KUBE-PORTALS-HOST -m comment --comment test/svc-ext:http -p tcp -m tcp --dport 8080 -d 192.168.99.11/32 -m addrtype --dst-type LOCAL -j DNAT --to-destination 172.18.0.2:40004',
    ]);
  });

  it('honour nodePortAddresses: one rule per selected address, none when no local address is selected', () => {
    const only = renderPortals(portals, { hostIP: '172.18.0.2', nodePortIPs: ['172.18.0.2', '192.168.1.2'] });
    expect(only.split('\n').filter((l) => l.startsWith('-A KUBE-NODEPORT-CONTAINER') && l.includes('--dport 32311'))).toEqual([
      '-A KUBE-NODEPORT-CONTAINER -m comment --comment test/svc-nginx -p tcp -m tcp --dport 32311 -d 172.18.0.2/32 -j REDIRECT --to-ports 40006',
      '-A KUBE-NODEPORT-CONTAINER -m comment --comment test/svc-nginx -p tcp -m tcp --dport 32311 -d 192.168.1.2/32 -j REDIRECT --to-ports 40006',
    ]);
    const none = renderPortals(portals, { hostIP: '172.18.0.2', nodePortIPs: [] });
    expect(none).not.toMatch(/KUBE-NODEPORT-(CONTAINER|HOST|NON-LOCAL) -m/);
    expect(none).toContain('-d 203.0.113.7/32 -j REDIRECT --to-ports 40005'); // the LB IP is a portal, not a NodePort
  });

  it('write only the jumps that are missing', () => {
    const again = renderPortals(portals, { hostIP: '172.18.0.2' }, missingJumps(SAVED));
    expect(again).not.toMatch(/^-[IA] (PREROUTING|OUTPUT|INPUT) /m);
  });
});

/** What iptables-save printed in a namespace after a first sync (abridged), with iptables mode's jump beside ours. */
const SAVED = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-NODEPORT-NON-LOCAL - [0:0]
-A INPUT -m comment --comment "Ensure that non-local NodePort traffic can flow" -j KUBE-NODEPORT-NON-LOCAL
-A KUBE-NODEPORT-NON-LOCAL -p tcp -m comment --comment "test/svc-nginx" -m tcp --dport 40006 -m state --state NEW -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-NODEPORT-CONTAINER - [0:0]
:KUBE-NODEPORT-HOST - [0:0]
:KUBE-PORTALS-CONTAINER - [0:0]
:KUBE-PORTALS-HOST - [0:0]
:KUBE-SERVICES - [0:0]
-A PREROUTING -m comment --comment "handle ClusterIPs; NOTE: this must be before the NodePort rules" -j KUBE-PORTALS-CONTAINER
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A PREROUTING -m addrtype --dst-type LOCAL -m comment --comment "handle service NodePorts; NOTE: this must be the last rule in the chain" -j KUBE-NODEPORT-CONTAINER
-A OUTPUT -m comment --comment "handle ClusterIPs; NOTE: this must be before the NodePort rules" -j KUBE-PORTALS-HOST
-A OUTPUT -m addrtype --dst-type LOCAL -m comment --comment "handle service NodePorts; NOTE: this must be the last rule in the chain" -j KUBE-NODEPORT-HOST
-A KUBE-NODEPORT-CONTAINER -p tcp -m comment --comment "test/svc-nginx" -m tcp --dport 32311 -j REDIRECT --to-ports 40006
-A KUBE-PORTALS-CONTAINER -d 10.109.206.2/32 -p tcp -m comment --comment "test/svc-nginx" -m tcp --dport 80 -j REDIRECT --to-ports 40006
COMMIT
`;

const OPTS: BackendOptions = { nodeIPs: ['172.18.0.2'], nodePortAddresses: [], clusterCIDR: '10.244.0.0/16', masqueradeBit: 14, masqueradeAll: false, ipvsScheduler: '' };

function recordingRunner(saved: string, failRestore?: string): IptablesRunner & { restored: string[] } {
  const restored: string[] = [];
  return {
    restored,
    async save() { return saved; },
    async restore(input) {
      restored.push(input);
      if (failRestore && input.includes(failRestore)) throw new Error(`iptables-restore: line 6 failed\nWarning: Extension REDIRECT revision 0 not supported, missing kernel module?`);
    },
  };
}

describe('UserspaceProxier cleanup, flush detection and check (fake iptables)', () => {
  it('cleanup does nothing at all, quietly, when userspace mode never ran (every start in another mode)', async () => {
    const ipt = recordingRunner('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\nCOMMIT\n');
    await new UserspaceProxier(OPTS, ipt).cleanup();
    expect(ipt.restored).toEqual([]);
    const broken: IptablesRunner = { async save() { throw new Error('iptables-save: not found'); }, async restore() { throw new Error('unexpected'); } };
    await expect(new UserspaceProxier(OPTS, broken).cleanup()).resolves.toBeUndefined();
  });

  it('cleanup deletes every jump into our chains by its saved text, then the chains, and leaves iptables mode alone', async () => {
    const ipt = recordingRunner(SAVED);
    await new UserspaceProxier(OPTS, ipt).cleanup();
    expect(ipt.restored).toHaveLength(1);
    expect(ipt.restored[0]).toBe(renderCleanup(SAVED));
    const lines = ipt.restored[0]!.split('\n');
    expect(lines).toContain('-D PREROUTING -m addrtype --dst-type LOCAL -m comment --comment "handle service NodePorts; NOTE: this must be the last rule in the chain" -j KUBE-NODEPORT-CONTAINER');
    expect(lines).toContain('-D INPUT -m comment --comment "Ensure that non-local NodePort traffic can flow" -j KUBE-NODEPORT-NON-LOCAL');
    expect(lines.filter((l) => l.startsWith('-D '))).toHaveLength(5);
    expect(lines.filter((l) => l.startsWith('-X ')).sort()).toEqual(['-X KUBE-NODEPORT-CONTAINER', '-X KUBE-NODEPORT-HOST', '-X KUBE-NODEPORT-NON-LOCAL', '-X KUBE-PORTALS-CONTAINER', '-X KUBE-PORTALS-HOST']);
    expect(ipt.restored[0]).not.toContain('KUBE-SERVICES');
  });

  it('flushed() is true until the chains and jumps are all there, and again when a jump goes', async () => {
    expect(await new UserspaceProxier(OPTS, recordingRunner('')).flushed()).toBe(true);
    expect(await new UserspaceProxier(OPTS, recordingRunner(SAVED)).flushed()).toBe(false);
    const noJump = SAVED.replace(/^-A OUTPUT .*KUBE-PORTALS-HOST\n/m, '');
    expect(await new UserspaceProxier(OPTS, recordingRunner(noJump)).flushed()).toBe(true);
  });

  it('check() names what is missing when iptables cannot REDIRECT, and removes its probe chain', async () => {
    const ipt = recordingRunner('', 'REDIRECT');
    await expect(new UserspaceProxier(OPTS, ipt).check()).rejects.toThrow(/needs iptables REDIRECT.*xt_REDIRECT.*missing kernel module/);
    expect(ipt.restored.at(-1)).toContain('-X KUBE-PORTALS-PROBE');
    // kube-proxy checks before it knows its Node: no node IP is needed to pass
    const ok = recordingRunner('');
    await expect(new UserspaceProxier({ ...OPTS, nodeIPs: [] }, ok).check()).resolves.toBeUndefined();
    expect(ok.restored).toHaveLength(2);
  });
});
