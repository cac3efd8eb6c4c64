// The nftables backend's transactions, without a kernel: the golden full sync, upstream's own
// expected output for the Services both cover, and what incremental syncs send.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashAndTruncate, NameCache } from '../src/nftables/names.js';
import { NftablesProxier } from '../src/nftables/proxier.js';
import { emptyState, renderSync, STALE_CHAIN_DELAY_MS, type SyncState } from '../src/nftables/render.js';
import type { PlanOptions } from '../src/nftables/service-port.js';
import { buildServicePorts, type ServicePort } from '../src/service-ports.js';
import { allPorts, backendOptions, RecordingNft, service, slice, upstreamServices, upstreamSlices } from './nftables-fixtures.js';

const lines = (text: string) => text.split('\n').filter(Boolean);

async function fullSync(ports: ServicePort[], opts = backendOptions) {
  const nft = new RecordingNft();
  const proxier = new NftablesProxier(opts, nft);
  await proxier.sync(ports);
  return { nft, proxier, text: nft.last };
}

describe('nftables names', () => {
  it('are upstream\'s hashAndTruncate names (examples from pkg/proxy/nftables/proxier.go and its tests)', () => {
    expect(hashAndTruncate('ns1/svc1/tcp/p80')).toBe('ULMVA6XW-ns1/svc1/tcp/p80');
    expect(hashAndTruncate('ns1/svc1/tcp/p80__10.180.0.1/80')).toBe('5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
    expect(hashAndTruncate('ns5/svc5/tcp/p80__10.180.0.3/80')).toBe('GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80');
    const long = hashAndTruncate(`${'n'.repeat(63)}/${'s'.repeat(63)}/sctp/${'p'.repeat(63)}__${'f'.repeat(39)}/65535`);
    expect(long).toHaveLength(240);
    expect(long.endsWith('...')).toBe(true);
  });
});

describe('nftables full sync', () => {
  it('matches the golden transaction (regenerate with UPDATE_GOLDEN=1 after checking the diff against upstream)', async () => {
    const { text } = await fullSync(allPorts());
    const golden = fileURLToPath(new URL('./golden/nftables-full.nft', import.meta.url));
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });

  // Upstream v1.31–v1.33 baseRules (proxier_test.go; the same lines appear in helpers_test.go
  // TestTracePacketV6 for ip6), with the nodePortAddresses 192.168.0.2/32 of NewFakeProxier.
  const upstreamBase = `
    add table ip kube-proxy { comment "rules for kube-proxy" ; }
    add chain ip kube-proxy cluster-ips-check
    add chain ip kube-proxy filter-forward { type filter hook forward priority -110 ; }
    add chain ip kube-proxy filter-input { type filter hook input priority -110 ; }
    add chain ip kube-proxy filter-output { type filter hook output priority -110 ; }
    add chain ip kube-proxy filter-output-post-dnat { type filter hook output priority -90 ; }
    add chain ip kube-proxy filter-prerouting { type filter hook prerouting priority -110 ; }
    add chain ip kube-proxy firewall-check
    add chain ip kube-proxy mark-for-masquerade
    add chain ip kube-proxy masquerading
    add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }
    add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }
    add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
    add chain ip kube-proxy nodeport-endpoints-check
    add chain ip kube-proxy reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }
    add chain ip kube-proxy service-endpoints-check
    add chain ip kube-proxy services
    add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
    add set ip kube-proxy nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }
    add map ip kube-proxy firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }
    add map ip kube-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }
    add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }
    add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }
    add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }
    add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
    add rule ip kube-proxy cluster-ips-check ip daddr { 172.30.0.0/16 } drop comment "Drop traffic to unallocated ClusterIPs"
    add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check
    add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check
    add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check
    add rule ip kube-proxy filter-input ct state new jump service-endpoints-check
    add rule ip kube-proxy filter-output ct state new jump service-endpoints-check
    add rule ip kube-proxy filter-output ct state new jump firewall-check
    add rule ip kube-proxy filter-output-post-dnat ct state new jump cluster-ips-check
    add rule ip kube-proxy filter-prerouting ct state new jump firewall-check
    add rule ip kube-proxy firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips
    add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000
    add rule ip kube-proxy masquerading mark and 0x4000 == 0 return
    add rule ip kube-proxy masquerading mark set mark xor 0x4000
    add rule ip kube-proxy masquerading masquerade fully-random
    add rule ip kube-proxy nat-output jump services
    add rule ip kube-proxy nat-postrouting jump masquerading
    add rule ip kube-proxy nat-prerouting jump services
    add rule ip kube-proxy nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
    add rule ip kube-proxy reject-chain reject
    add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
    add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
    add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
    add element ip kube-proxy nodeport-ips { 192.168.0.2 }`;

  it('lays out the fixed table as upstream v1.31–v1.33 (baseRules), less the ServiceCIDR drop rule we have no CIDRs for', async () => {
    const nft = new RecordingNft();
    const proxier = new NftablesProxier(backendOptions, nft);
    await proxier.sync([]);
    await proxier.sync([]); // the first sync also re-creates the base chains ("add chain X" + "delete chain X")
    const ours = new Set(lines(nft.last).filter((l) => /^add (table|chain|set|map|rule|element) /.test(l)));
    const theirs = new Set(lines(upstreamBase).map((l) => l.trim()).filter((l) => !l.includes('Drop traffic to unallocated ClusterIPs')));
    expect(ours).toEqual(theirs);
    // what "add" alone cannot do: empty what a previous sync wrote
    expect(lines(nft.last)).toContain('flush table ip kube-proxy');
    expect(lines(nft.last).filter((l) => l.startsWith('flush map') || l.startsWith('flush set'))).toHaveLength(7);
  });

  // Upstream TestOverallNFTablesRules' expected lines for svc1–svc6 (pkg/proxy/nftables/proxier_test.go).
  // In v1.31–v1.33 the ClusterIP masquerade rule also matches the port ("tcp dport 80"; compare
  // TestTracePacketV6 of that era); later releases dropped it.
  const upstreamServicesExpected = `
    add chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80
    add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
    add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 }
    add chain ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
    add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 ip saddr 10.180.0.1 jump mark-for-masquerade
    add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp dnat to 10.180.0.1:80
    add element ip kube-proxy cluster-ips { 172.30.0.41 }
    add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }

    add chain ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80
    add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 ip daddr 172.30.0.42 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
    add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 }
    add chain ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80
    add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"
    add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"
    add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit local traffic"
    add chain ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80
    add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 ip saddr 10.180.0.2 jump mark-for-masquerade
    add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 meta l4proto tcp dnat to 10.180.0.2:80
    add element ip kube-proxy cluster-ips { 172.30.0.42 }
    add element ip kube-proxy service-ips { 172.30.0.42 . tcp . 80 : goto service-42NFTM6N-ns2/svc2/tcp/p80 }
    add element ip kube-proxy service-ips { 192.168.99.22 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
    add element ip kube-proxy service-ips { 1.2.3.4 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
    add element ip kube-proxy service-nodeports { tcp . 3001 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
    add element ip kube-proxy no-endpoint-nodeports { tcp . 3001 comment "ns2/svc2:p80" : drop }
    add element ip kube-proxy no-endpoint-services { 1.2.3.4 . tcp . 80 comment "ns2/svc2:p80" : drop }
    add element ip kube-proxy no-endpoint-services { 192.168.99.22 . tcp . 80 comment "ns2/svc2:p80" : drop }

    add chain ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80
    add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 ip daddr 172.30.0.43 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
    add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 }
    add chain ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80
    add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 jump mark-for-masquerade
    add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 goto service-4AT6LBPK-ns3/svc3/tcp/p80
    add chain ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80
    add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
    add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80
    add element ip kube-proxy cluster-ips { 172.30.0.43 }
    add element ip kube-proxy service-ips { 172.30.0.43 . tcp . 80 : goto service-4AT6LBPK-ns3/svc3/tcp/p80 }
    add element ip kube-proxy service-nodeports { tcp . 3003 : goto external-4AT6LBPK-ns3/svc3/tcp/p80 }

    add chain ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80
    add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
    add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 , 1 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 }
    add chain ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80
    add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 jump mark-for-masquerade
    add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 goto service-LAUZTJTB-ns4/svc4/tcp/p80
    add chain ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
    add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 ip saddr 10.180.0.5 jump mark-for-masquerade
    add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 meta l4proto tcp dnat to 10.180.0.5:80
    add chain ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
    add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 ip saddr 10.180.0.4 jump mark-for-masquerade
    add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 meta l4proto tcp dnat to 10.180.0.4:80
    add element ip kube-proxy cluster-ips { 172.30.0.44 }
    add element ip kube-proxy service-ips { 172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/p80 }
    add element ip kube-proxy service-ips { 192.168.99.33 . tcp . 80 : goto external-LAUZTJTB-ns4/svc4/tcp/p80 }

    add set ip kube-proxy affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }
    add chain ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80
    add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip daddr 172.30.0.45 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
    add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
    add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 }
    add chain ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80
    add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 jump mark-for-masquerade
    add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 goto service-HVFWP5L3-ns5/svc5/tcp/p80
    add chain ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
    add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
    add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 update @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { ip saddr }
    add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80
    add chain ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80
    add rule ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr != { 203.0.113.0/25 } drop
    add element ip kube-proxy cluster-ips { 172.30.0.45 }
    add element ip kube-proxy service-ips { 172.30.0.45 . tcp . 80 : goto service-HVFWP5L3-ns5/svc5/tcp/p80 }
    add element ip kube-proxy service-ips { 5.6.7.8 . tcp . 80 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
    add element ip kube-proxy service-nodeports { tcp . 3002 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
    add element ip kube-proxy firewall-ips { 5.6.7.8 . tcp . 80 : goto firewall-HVFWP5L3-ns5/svc5/tcp/p80 }

    add element ip kube-proxy cluster-ips { 172.30.0.46 }
    add element ip kube-proxy no-endpoint-services { 172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }`;

  it('writes exactly upstream\'s chains, rules, sets and elements for upstream\'s TestOverallNFTablesRules Services', async () => {
    const { text } = await fullSync(buildServicePorts(upstreamServices, upstreamSlices));
    // everything after the fixed layout (the first blank line), order aside: upstream's dump is sorted
    const ours = lines(text.slice(text.indexOf('\n\n')));
    expect(new Set(ours)).toEqual(new Set(lines(upstreamServicesExpected).map((l) => l.trim())));
    expect(ours.length).toBe(new Set(ours).size);
  });

  describe('the features upstream\'s overall test does not combine', () => {
    let text = '';
    beforeAll(async () => { text = (await fullSync(allPorts())).text; });
    const has = (l: string) => expect(lines(text)).toContain(l);
    const chainRules = (chain: string) => lines(text).filter((l) => l.startsWith(`add rule ip kube-proxy ${chain} `)).map((l) => l.slice(`add rule ip kube-proxy ${chain} `.length));
    const names = new NameCache();
    const port = (ns: string, svc: string, portName: string, protocol: ServicePort['protocol'] = 'TCP') =>
      names.port({ namespace: ns, service: svc, portName, protocol } as ServicePort);

    it('a multi-port Service: each port and protocol its own chain, UDP and TCP on the same port number apart', () => {
      const tcp = port('ns7', 'dns', 'dns-tcp');
      const udp = port('ns7', 'dns', 'dns-udp', 'UDP');
      has(`add element ip kube-proxy service-ips { 172.30.0.47 . tcp . 53 : goto ${tcp.service} }`);
      has(`add element ip kube-proxy service-ips { 172.30.0.47 . udp . 53 : goto ${udp.service} }`);
      expect(chainRules(udp.service)[0]).toBe('ip daddr 172.30.0.47 udp dport 53 ip saddr != 10.0.0.0/8 jump mark-for-masquerade');
      has(`add rule ip kube-proxy ${udp.endpoint({ ip: '10.180.0.7', port: 53 } as never).chain} meta l4proto udp dnat to 10.180.0.7:53`);
      has(`add rule ip kube-proxy ${tcp.endpoint({ ip: '10.180.0.7', port: 5353 } as never).chain} meta l4proto tcp dnat to 10.180.0.7:5353`);
    });

    it('internalTrafficPolicy Local: the ClusterIP goes to the local- chain, this node\'s endpoints only; none here: drop', () => {
      const here = port('ns8', 'itp-here', 'p80');
      has(`add element ip kube-proxy service-ips { 172.30.0.48 . tcp . 80 : goto ${here.local} }`);
      expect(chainRules(here.local)).toEqual([
        'ip daddr 172.30.0.48 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade',
        `numgen random mod 1 vmap { 0 : goto ${here.endpoint({ ip: '10.180.0.8', port: 80 } as never).chain} }`,
      ]);
      expect(text).not.toContain(here.service);
      expect(text).not.toContain('10.180.1.8');
      has('add element ip kube-proxy no-endpoint-services { 172.30.0.49 . tcp . 80 comment "ns9/itp-elsewhere:p80" : drop }');
      expect(text).not.toContain('ns9/itp-elsewhere/');
    });

    it('externalTrafficPolicy Local with a local endpoint: external traffic ends in the local- chain, ClusterIP traffic in service-', () => {
      const etp = port('ns10', 'etp-here', 'p80');
      expect(chainRules(etp.external)).toEqual([
        `ip saddr 10.0.0.0/8 goto ${etp.service} comment "short-circuit pod traffic"`,
        'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"',
        `fib saddr type local goto ${etp.service} comment "short-circuit local traffic"`,
        `goto ${etp.local}`,
      ]);
      expect(chainRules(etp.local)).toEqual([`numgen random mod 1 vmap { 0 : goto ${etp.endpoint({ ip: '10.180.0.10', port: 80 } as never).chain} }`]);
      expect(chainRules(etp.service).at(-1)).toMatch(/^numgen random mod 2 vmap/);
      has(`add element ip kube-proxy service-nodeports { tcp . 3010 : goto ${etp.external} }`);
      has(`add element ip kube-proxy service-ips { 9.10.11.12 . tcp . 80 : goto ${etp.external} }`);
      expect(text).not.toContain('10.180.0.11'); // local but not ready
      expect(text).not.toMatch(/no-endpoint-\w+ \{ [^}]*ns10\/etp-here/);
    });

    it('no ready endpoint: the serving, terminating ones take the traffic (not the stopped ones)', () => {
      const draining = port('ns11', 'draining', 'p80');
      has(`add rule ip kube-proxy ${draining.endpoint({ ip: '10.180.0.12', port: 80 } as never).chain} meta l4proto tcp dnat to 10.180.0.12:80`);
      expect(text).not.toContain('10.180.0.13');
      expect(text).not.toContain('ns11/draining:p80" : goto reject-chain');
    });

    it('loadBalancerSourceRanges: firewall-ips for every LB IP; a range holding the node IP admits the LB IPs too', () => {
      const lb = port('ns12', 'lb-from-node', 'p80');
      has(`add element ip kube-proxy firewall-ips { 1.2.3.5 . tcp . 80 : goto ${lb.firewall} }`);
      has(`add element ip kube-proxy firewall-ips { 1.2.3.6 . tcp . 80 : goto ${lb.firewall} }`);
      expect(chainRules(lb.firewall)).toEqual(['ip saddr != { 192.168.0.0/24 , 203.0.113.0/25 , 1.2.3.5 , 1.2.3.6 } drop']);
      has(`add element ip kube-proxy service-nodeports { tcp . 3012 : goto ${lb.external} }`); // NodePorts bypass the ranges, as upstream
    });
  });

  it('without nodePortAddresses, answers NodePorts on every local address but 127/8, with no nodeport-ips set', async () => {
    const { text } = await fullSync(allPorts(), { ...backendOptions, nodePortAddresses: [] });
    expect(lines(text)).toContain('add rule ip kube-proxy services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports');
    expect(lines(text)).toContain('add rule ip kube-proxy nodeport-endpoints-check ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports');
    expect(lines(text)).toContain('delete set ip kube-proxy nodeport-ips');
    expect(text).not.toContain('@nodeport-ips');
  });

  it('leaves IPv6 ClusterIPs, external and LB IPs and source ranges to an IPv6 table (upstream runs one proxier per family)', async () => {
    const ports = buildServicePorts([
      service('v6', 'only', { clusterIP: 'fd00:172:30::41', ports: [{ name: 'p80', port: 80 }] }),
      service('v6', 'mixed', {
        type: 'LoadBalancer', clusterIP: '172.30.0.60', externalIPs: ['2001:db8::9'], loadBalancerSourceRanges: ['2001:db8::/64', 'not-a-cidr', '203.0.113.0/25'],
        ports: [{ name: 'p80', port: 80, nodePort: 3060 }],
      }, ['2001:db8::10', '1.2.3.60']),
    ], [slice('v6', 'mixed', [{ name: 'p80', port: 80 }], [{ ip: '10.180.0.60' }])]);
    const { text } = await fullSync(ports);
    expect(text).not.toMatch(/2001:db8|fd00:/);
    expect(text).not.toContain('v6/only');
    expect(text).toContain('add element ip kube-proxy service-ips { 1.2.3.60 . tcp . 80 : goto external-');
    expect(text).toMatch(/ip saddr != \{ 203\.0\.113\.0\/25 \} drop\n/); // (and the malformed range left out too)
  });

  it('masqueradeAll marks all ClusterIP traffic; without a cluster CIDR (and masqueradeAll) there is no ClusterIP masquerade rule', async () => {
    const all = (await fullSync(allPorts(), { ...backendOptions, masqueradeAll: true })).text;
    expect(lines(all)).toContain('add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 tcp dport 80 jump mark-for-masquerade');
    const none = (await fullSync(allPorts(), { ...backendOptions, clusterCIDR: '' })).text;
    expect(none).not.toMatch(/ip daddr 172\.30\.0\.41 tcp dport 80 .*mark-for-masquerade/);
    expect(none).not.toContain('short-circuit pod traffic');
  });
});

describe('nftables incremental syncs', () => {
  const plan: PlanOptions = { nodeName: 'test-node', clusterCIDR: '10.0.0.0/8', masqueradeAll: false, nodeIP: '192.168.0.2' };
  const withEndpoints = (name: string, eps: ServicePort['endpoints']) => (sp: ServicePort) => (sp.name === name ? { ...sp, endpoints: eps } : sp);
  function start() {
    const names = new NameCache();
    const first = renderSync({ ports: allPorts(), plan, names, setup: { mark: '0x4000', recreateBaseChains: false }, prior: emptyState(), now: 0 });
    return { names, state: first.next };
  }
  const step = (names: NameCache, prior: SyncState, ports: ServicePort[], changed: string[], now: number) =>
    renderSync({ ports, plan, names, changed: new Set(changed), prior, now });

  it('send nothing when nothing changed', () => {
    const { names, state } = start();
    expect(step(names, state, allPorts(), [], 10).text).toBe('');
  });

  it('rewrite only the changed Service port\'s chains, empty the chain of a removed endpoint, and delete it a second later', () => {
    const { names, state } = start();
    const ports = allPorts().map(withEndpoints('ns4/svc4:p80', [{ ip: '10.180.0.5', port: 80, ready: true, serving: true, terminating: false, nodeName: 'test-node' }]));
    const r = step(names, state, ports, ['ns4/svc4:p80'], 100);
    expect(r.rewritten).toBe(1);
    expect(lines(r.text)).toEqual([
      'add chain ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80',
      'flush chain ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80',
      'add chain ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80',
      'flush chain ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80',
      'add chain ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80',
      'flush chain ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80',
      'add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade',
      'add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 jump mark-for-masquerade',
      'add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 goto service-LAUZTJTB-ns4/svc4/tcp/p80',
      'add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 }',
      'add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 ip saddr 10.180.0.5 jump mark-for-masquerade',
      'add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 meta l4proto tcp dnat to 10.180.0.5:80',
      // the element map is unchanged; the endpoint's chain is emptied now ...
      'flush chain ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80',
    ]);
    // ... kept while younger than a second ...
    const soon = step(names, r.next, ports, [], 100 + STALE_CHAIN_DELAY_MS - 1);
    expect(soon.text).toBe('');
    // ... and deleted by the first sync after that
    const later = step(names, soon.next, ports, [], 100 + STALE_CHAIN_DELAY_MS);
    expect(lines(later.text)).toEqual([
      'add chain ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80',
      'delete chain ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80',
    ]);
    expect(later.next.stale.size).toBe(0);
  });

  it('replace, add and delete map elements as Services gain and lose endpoints or go away', () => {
    const { names, state } = start();
    const ports = allPorts()
      .filter((sp) => sp.name !== 'ns1/svc1:p80')
      .map(withEndpoints('ns6/svc6:p80', [{ ip: '10.180.0.6', port: 80, ready: true, serving: true, terminating: false }]))
      .map(withEndpoints('ns5/svc5:p80', []));
    const r = step(names, state, ports, ['ns1/svc1:p80', 'ns6/svc6:p80', 'ns5/svc5:p80'], 100);
    const l = lines(r.text);
    expect(l).toContain('delete element ip kube-proxy no-endpoint-services { 172.30.0.46 . tcp . 80 }');
    const svc6 = names.port(ports.find((p) => p.name === 'ns6/svc6:p80')!).service;
    expect(l).toContain(`add element ip kube-proxy service-ips { 172.30.0.46 . tcp . 80 : goto ${svc6} }`);
    expect(l).toContain('delete element ip kube-proxy cluster-ips { 172.30.0.41 }');
    expect(l).toContain('delete element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 }');
    expect(l).toContain('flush chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80');
    // svc5 lost its only endpoint: reject instead of dispatch, its chains emptied, its affinity set deleted at once
    expect(l).toContain('delete element ip kube-proxy service-ips { 172.30.0.45 . tcp . 80 }');
    expect(l).toContain('add element ip kube-proxy no-endpoint-services { 172.30.0.45 . tcp . 80 comment "ns5/svc5:p80" : goto reject-chain }');
    expect(l).toContain('delete set ip kube-proxy affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80');
    expect(l.indexOf('flush chain ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80'))
      .toBeLessThan(l.indexOf('delete set ip kube-proxy affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80'));
    // the firewall chain stays: it depends on the LB IP and source ranges, not on endpoints
    expect(l).toContain('add chain ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80');
    expect(r.rewritten).toBe(2);
  });

  it('write a Service port missing from `changed` anyway when none of its chains were ever written', () => {
    const { names, state } = start();
    const ports = buildServicePorts([...upstreamServices, service('new', 'svc', { clusterIP: '172.30.9.9', ports: [{ name: 'p80', port: 80 }] })],
      [...upstreamSlices, slice('new', 'svc', [{ name: 'p80', port: 80 }], [{ ip: '10.180.9.9' }])]);
    const r = step(names, state, [...allPorts(), ...ports.filter((p) => p.namespace === 'new')], [], 100);
    expect(r.rewritten).toBe(1);
    expect(r.text).toContain('meta l4proto tcp dnat to 10.180.9.9:80');
  });
});

describe('NftablesProxier', () => {
  const plan: PlanOptions = { nodeName: 'test-node', clusterCIDR: '10.0.0.0/8', masqueradeAll: false };

  it('syncs fully the first time, without `changed`, after a failure and after the table vanished; incrementally otherwise', async () => {
    const nft = new RecordingNft();
    const proxier = new NftablesProxier(backendOptions, nft);
    const ports = allPorts();
    await proxier.sync(ports, new Set());
    expect(proxier.lastSync?.full).toBe(true);
    await proxier.sync(ports, new Set(['ns1/svc1:p80']));
    expect(proxier.lastSync).toMatchObject({ full: false, rewritten: 1 });
    await proxier.sync(ports);
    expect(proxier.lastSync?.full).toBe(true);

    nft.failNext = true;
    await expect(proxier.sync(ports, new Set(['ns1/svc1:p80']))).rejects.toThrow('No such file or directory');
    await proxier.sync(ports, new Set(['ns1/svc1:p80']));
    expect(proxier.lastSync?.full).toBe(true);
    expect(nft.last.startsWith('add table ip kube-proxy { comment "rules for kube-proxy" ; }\nflush table ip kube-proxy\n')).toBe(true);

    nft.tables = 'table ip kube-proxy\ntable ip filter\n';
    expect(await proxier.flushed()).toBe(false);
    await proxier.sync(ports, new Set(['ns1/svc1:p80']));
    expect(proxier.lastSync?.full).toBe(false);
    nft.tables = 'table ip filter\n';
    expect(await proxier.flushed()).toBe(true);
    await proxier.sync(ports, new Set(['ns1/svc1:p80']));
    expect(proxier.lastSync?.full).toBe(true);
  });

  it('re-creates the base chains on its first sync only, as upstream', async () => {
    const nft = new RecordingNft();
    const proxier = new NftablesProxier(backendOptions, nft);
    await proxier.sync([]);
    await proxier.sync([]);
    expect(nft.transactions[0]).toContain('add chain ip kube-proxy nat-output\ndelete chain ip kube-proxy nat-output\n');
    expect(nft.transactions[1]).not.toContain('delete chain');
  });

  it('check() names what the host lacks: the nft command, nft ≥ 1.0.1, permission, kernel features', async () => {
    const host = (version: string | Error, probe?: Error): RecordingNft => Object.assign(new RecordingNft(), {
      async run(args: string[]) {
        if (args[0] === '--version') { if (version instanceof Error) throw version; return version; }
        if (probe) throw probe;
        return '';
      },
    });
    const check = (nft: RecordingNft) => new NftablesProxier(backendOptions, nft).check();
    await expect(check(host(new Error('spawn nft ENOENT')))).rejects.toThrow(/needs the nft command .*apt-get install nftables/);
    await expect(check(host('nftables v0.9.8 (E.D.S.)'))).rejects.toThrow('needs nft ≥ 1.0.1; this host has "nftables v0.9.8 (E.D.S.)"');
    await expect(check(host('nftables v1.0.6 (Lester Gooch #5)', new Error('Error: Could not process rule: Operation not permitted')))).rejects.toThrow(/CAP_NET_ADMIN/);
    await expect(check(host('nftables v1.0.6 (Lester Gooch #5)', new Error('Error: Could not process rule: No such file or directory'))))
      .rejects.toThrow(/nft_numgen.*No such file or directory/);
    await expect(check(host('nftables v1.0.6 (Lester Gooch #5)'))).resolves.toBeUndefined();
  });

  it('cleans up by deleting the table, and does not fail when there is none', async () => {
    const nft = new RecordingNft();
    await new NftablesProxier(backendOptions, nft).cleanup();
    expect(nft.last).toBe('add table ip kube-proxy\ndelete table ip kube-proxy\n');
    // a host without nft has no table to remove either (a mode switch cleans up every other mode)
    const noNft = Object.assign(new RecordingNft(), { async run(): Promise<string> { throw new Error('nft -f - failed: Command failed with ENOENT: nft -f -'); } });
    await expect(new NftablesProxier(backendOptions, noNft).cleanup()).resolves.toBeUndefined();
  });

  it('renders an incremental sync at 10k Services × 5 endpoints far cheaper than a full one (one Service rewritten)', () => {
    const ports: ServicePort[] = [];
    for (let i = 0; i < 10_000; i++) {
      ports.push({
        name: `ns${i % 100}/svc${i}:http`, namespace: `ns${i % 100}`, service: `svc${i}`, portName: 'http', protocol: 'TCP',
        clusterIP: `10.96.${i >> 8}.${i & 255}`, port: 80, nodePort: i < 2000 ? 30000 + i : 0, externalIPs: [], loadBalancerIPs: [],
        loadBalancerSourceRanges: [], affinitySeconds: 0, externalLocal: false, internalLocal: false, healthCheckNodePort: 0,
        endpoints: Array.from({ length: 5 }, (_, j) => ({ ip: `10.244.${((i * 5 + j) >> 8) & 255}.${(i * 5 + j) & 255}`, port: 8080, ready: true, serving: true, terminating: false })),
      });
    }
    const names = new NameCache();
    const time = <T>(f: () => T): [T, number] => { const t = performance.now(); const r = f(); return [r, performance.now() - t]; };
    names.rotate();
    const [cold, coldMs] = time(() => renderSync({ ports, plan, names, setup: { mark: '0x4000', recreateBaseChains: false }, prior: emptyState(), now: 0 }));
    names.rotate();
    const [warm, warmMs] = time(() => renderSync({ ports, plan, names, setup: { mark: '0x4000', recreateBaseChains: false }, prior: cold.next, now: 0 }));
    const [incr, incrMs] = time(() => renderSync({ ports, plan, names, changed: new Set([ports[7]!.name]), prior: warm.next, now: 0 }));
    console.log(`10k Services × 5 endpoints: full ${coldMs.toFixed(0)} ms cold, ${warmMs.toFixed(0)} ms warm (${(warm.text.length / 1e6).toFixed(1)} MB); incremental ${incrMs.toFixed(0)} ms`);
    expect(incr.rewritten).toBe(1);
    expect(lines(warm.text).filter((l) => l.startsWith('add chain'))).toHaveLength(10_000 * 6 + 2_000 + 16); // 5 endpoint + 1 service chain each, 2k external, 16 fixed
    // a ratio measured in one run, not a wall-clock bound (absolute figures: pnpm bench proxy)
    expect(incrMs * 3).toBeLessThan(warmMs);
    expect(incr.text.length * 100).toBeLessThan(warm.text.length);
  });
});
