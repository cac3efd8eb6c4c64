// The ipvs mode's desired state and its four renderings (ipvsadm -Ln, ipvsadm -S/-R input, ipset
// restore input, iptables-restore input) against golden files. Regenerate with UPDATE_GOLDEN=1 after
// checking the diff against upstream. The ipvsadm goldens were also fed to the real ipvsadm 1.31
// (`ipvsadm -R` then `-Ln` / `-Sn`, through an LD_PRELOAD stand-in for the kernel's IPVS sockopts,
// since this kernel has no IP_VS), which printed them byte for byte.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderIpvsIptables } from '../src/ipvs/iptables-rules.js';
import { parseIpsetSave, renderIpsetRestore } from '../src/ipvs/ipsets.js';
import { parseIpvsadmRules, renderIpvsadmList, renderIpvsadmRules } from '../src/ipvs/ipvsadm-format.js';
import { compareServices, glibcSort } from '../src/ipvs/ipvsadm-sort.js';
import { buildIpvsState, type IpvsState, type VirtualServer } from '../src/ipvs/model.js';
import type { ServicePort } from '../src/service-ports.js';
import { options, TUTORIAL_NODE_ADDRESSES, tutorialPorts, widePorts } from './ipvs-fixtures.js';

function golden(name: string, text: string): void {
  const path = fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, text);
  expect(text).toBe(readFileSync(path, 'utf8'));
}

const state = (ports: ServicePort[], ipvsScheduler = '', nodePortIPs?: string[]): IpvsState => {
  const o = options({ ipvsScheduler });
  return buildIpvsState(ports, { nodeName: o.nodeName, nodeIP: o.nodeIPs[0], ipvsScheduler }, { addresses: TUTORIAL_NODE_ADDRESSES, nodePortIPs });
};
const lines = (vss: VirtualServer[]) => renderIpvsadmList(vss).split('\n');

// Tutorial 000 (/work/shared/tutorials/000_3a04ca2c21947dbe.txt), lines 63-97 and 268-277, as
// published: the blog collapsed ipvsadm's column padding, so lines are compared word by word.
const TUTORIAL_LISTING = `
 TCP 172.17.0.1:30858 rr
 TCP 172.17.0.1:32311 rr
  -> 10.244.104.62:80             Masq   1     0         0
  -> 10.244.166.189:80           Masq   1     0         0
  -> 10.244.166.190:80           Masq   1     0         0
 TCP 192.168.80.10:30858 rr
 TCP 192.168.80.10:32311 rr
  -> 10.244.104.62:80             Masq   1     0         0
  -> 10.244.166.189:80           Masq   1     0         0
  -> 10.244.166.190:80           Masq   1     0         0
 TCP 10.96.0.1:443 rr
  -> 192.168.80.10:6443           Masq   1     1         0
 TCP 10.96.0.10:53 rr
  -> 10.244.219.74:53             Masq   1     0         0
  -> 10.244.219.75:53             Masq   1     0         0
 TCP 10.96.0.10:9153 rr
  -> 10.244.219.74:9153           Masq   1     0         0
  -> 10.244.219.75:9153           Masq   1     0         0
 TCP 10.109.23.222:80 rr
 TCP 10.109.206.2:80 rr
  -> 10.244.104.62:80             Masq   1     0         0
  -> 10.244.166.189:80           Masq   1     0         0
  -> 10.244.166.190:80           Masq   1     0         0
 TCP 10.244.219.64:30858 rr
 TCP 10.244.219.64:32311 rr
  -> 10.244.104.62:80             Masq   1     0         0
  -> 10.244.166.189:80           Masq   1     0         0
  -> 10.244.166.190:80           Masq   1     0         0
 UDP 10.96.0.10:53 rr
  -> 10.244.219.74:53             Masq   1     0         0
  -> 10.244.219.75:53             Masq   1     0         0`;
const TUTORIAL_AFFINITY = `
 TCP 10.109.206.2:80 rr persistent 100
  -> 10.244.104.62:80             Masq   1     0         0
  -> 10.244.166.189:80           Masq   1     0         0
  -> 10.244.166.190:80           Masq   1     0         6`;

/** words of each line; a real server's two connection counters are live numbers, so they are dropped */
const words = (text: string) => text.split('\n').filter((l) => l.trim()).map((l) => {
  const w = l.trim().split(/\s+/);
  return w[0] === '->' ? w.slice(0, 4) : w;
});

describe('ipvsadm -Ln for tutorial 000', () => {
  const tutorial = state(tutorialPorts());

  it('matches the golden listing', () => golden('ipvs-tutorial-000.ipvsadm', renderIpvsadmList(tutorial.virtualServers)));

  it('lists what the tutorial printed, in its order (NodePorts on 172.17.0.1 and 192.168.80.10 before the 10.x ClusterIPs)', () => {
    expect(words(renderIpvsadmList(tutorial.virtualServers)).slice(3)).toEqual(words(TUTORIAL_LISTING));
  });

  it('shows sessionAffinity ClientIP with timeoutSeconds: 100 as "rr persistent 100", as the tutorial did', () => {
    const listed = words(renderIpvsadmList(state(tutorialPorts(100)).virtualServers));
    const at = listed.findIndex((w) => w.join(' ') === 'TCP 10.109.206.2:80 rr persistent 100');
    expect(listed.slice(at, at + 4)).toEqual(words(TUTORIAL_AFFINITY));
    expect(listed.filter((w) => w.join(' ').endsWith(':32311 rr persistent 100'))).toHaveLength(3);
  });

  it('prints ipvsadm\'s exact columns: "%-4s %s" services, "  -> %-28s %-7s %-6d %-10u %-10u" real servers', () => {
    const listing = lines(tutorial.virtualServers);
    expect(listing.slice(0, 3)).toEqual([
      'IP Virtual Server version 1.2.1 (size=4096)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
    ]);
    expect(listing).toContain('TCP  10.96.0.1:443 rr');
    expect(listing).toContain('  -> 192.168.80.10:6443           Masq    1      0          0         ');
    expect(listing).toContain('UDP  10.96.0.10:53 rr');
  });
});

describe('the wider set of Services', () => {
  const wide = state(widePorts());

  it('matches the golden ipvsadm -Ln', () => golden('ipvs-services.ipvsadm', renderIpvsadmList(wide.virtualServers)));
  it('matches the golden ipvsadm -Sn (the ipvsadm -R input)', () => golden('ipvs-services.ipvsadm-rules', renderIpvsadmRules(wide.virtualServers)));
  it('matches the golden ipset restore input', () => golden('ipvs-services.ipset', renderIpsetRestore(wide.sets)));
  it('matches the golden iptables-restore input', () => {
    golden('ipvs-services.iptables', renderIpvsIptables(wide, { clusterCIDR: '10.244.0.0/16', masqueradeBit: 14, masqueradeAll: false, randomFully: true }));
  });

  it('persists ClientIP affinity with the Service\'s timeout: 10800 by default, 100 when set', () => {
    const listing = lines(wide.virtualServers);
    expect(listing).toContain('TCP  10.96.1.2:80 rr persistent 10800');
    expect(listing).toContain('TCP  10.96.1.3:80 rr persistent 100');
    expect(listing).toContain('TCP  172.17.0.1:30100 rr persistent 100');
    expect(renderIpvsadmRules(wide.virtualServers)).toContain('-A -t 10.96.1.2:80 -s rr -p 10800\n');
  });

  it('serves a NodePort on each of the three node addresses and an external IP, and leaves not-ready endpoints out', () => {
    for (const ip of TUTORIAL_NODE_ADDRESSES) expect(lines(wide.virtualServers)).toContain(`TCP  ${ip}:30080 rr`);
    const web = wide.virtualServers.find((v) => v.address === '192.168.99.11')!;
    expect(web.realServers.map((r) => `${r.address}:${r.port}`)).toEqual(['10.244.1.10:8080', '10.244.2.10:8080']);
    expect(wide.bindAddresses).toContain('192.168.99.11');
    expect(wide.bindAddresses).not.toContain('192.168.80.10');
  });

  it('externalTrafficPolicy Local: external virtual servers get this node\'s endpoints, the ClusterIP all of them', () => {
    const rs = (address: string, port: number) => wide.virtualServers.find((v) => v.address === address && v.port === port)!.realServers.map((r) => r.address);
    expect(rs('203.0.113.10', 443)).toEqual(['10.244.0.40']);
    expect(rs('192.168.80.10', 30443)).toEqual(['10.244.0.40']);
    expect(rs('10.96.2.1', 443)).toEqual(['10.244.0.40', '10.244.1.40']);
    // no endpoint on this node: all of them rather than none (kubernetes#97081)
    expect(rs('192.168.80.10', 30053)).toEqual(['10.244.1.50']);
    expect(wide.sets.get('KUBE-NODE-PORT-LOCAL-TCP')).toEqual(new Set(['30443']));
    expect(wide.sets.get('KUBE-LOAD-BALANCER-LOCAL')).toEqual(new Set(['203.0.113.10,tcp:443']));
    expect(wide.sets.get('KUBE-HEALTH-CHECK-NODE-PORT')).toEqual(new Set(['32000']));
  });

  it('internalTrafficPolicy Local with no endpoint here and no external way in has no real servers; terminating endpoints drain', () => {
    expect(wide.virtualServers.find((v) => v.address === '10.96.4.1')!.realServers).toEqual([]);
    expect(wide.virtualServers.find((v) => v.address === '10.96.5.1')!.realServers.map((r) => r.address)).toEqual(['10.244.0.70']);
  });

  it('loadBalancerSourceRanges: admitted CIDRs, the node\'s own access when a range holds its address, else the OUT-FILTER drop', () => {
    expect(wide.sets.get('KUBE-LOAD-BALANCER-FW')).toEqual(new Set(['203.0.113.10,tcp:443', '203.0.113.11,tcp:80']));
    expect(wide.sets.get('KUBE-LOAD-BALANCER-SOURCE-CIDR')).toEqual(new Set(['203.0.113.10,tcp:443,10.0.0.0/8', '203.0.113.11,tcp:80,192.168.80.0/24', '203.0.113.11,tcp:80,198.51.100.7/32']));
    expect(wide.sets.get('KUBE-LOAD-BALANCER-SOURCE-IP')).toEqual(new Set(['203.0.113.11,tcp:80,203.0.113.11']));
    expect(wide.lbNoNodeAccess).toEqual([{ ip: '203.0.113.10', protocol: 'tcp', port: 443 }]);
  });

  it('SCTP NodePorts go into the hash:ip,port set, one entry per node address', () => {
    expect(wide.sets.get('KUBE-NODE-PORT-SCTP-HASH')).toEqual(new Set(TUTORIAL_NODE_ADDRESSES.map((ip) => `${ip},sctp:30099`)));
    expect(lines(wide.virtualServers)).toContain('SCTP 10.96.7.1:9999 rr');
  });

  it('nodePortAddresses: NodePorts only on the selected addresses', () => {
    const only = state(widePorts(), '', ['192.168.80.10']);
    expect(only.virtualServers.filter((v) => v.port === 30080).map((v) => v.address)).toEqual(['192.168.80.10']);
  });

  it('reads its own ipvsadm -Sn and ipset save back', () => {
    const sorted = (v: VirtualServer[]) => glibcSort(v, compareServices);
    expect(sorted(parseIpvsadmRules(renderIpvsadmRules(wide.virtualServers)))).toEqual(sorted(wide.virtualServers).map((v) => ({ ...v, realServers: [...v.realServers] })));
    const restored = parseIpsetSave(renderIpsetRestore(wide.sets));
    expect(renderIpsetRestore(wide.sets, restored).split('\n').filter((l) => /^(add|del) /.test(l))).toEqual([]);
  });
});

describe('schedulers', () => {
  it('uses the configured one on every virtual server: wrr, sh', () => {
    for (const s of ['wrr', 'sh']) {
      const vss = state(tutorialPorts(100), s).virtualServers;
      expect(lines(vss)).toContain(`TCP  10.96.0.1:443 ${s}`);
      expect(lines(vss)).toContain(`TCP  10.109.206.2:80 ${s} persistent 100`);
    }
  });

  it('mh gets the mh-port flag, as upstream sets it', () => {
    const vss = state(tutorialPorts(100), 'mh').virtualServers;
    expect(lines(vss)).toContain('TCP  10.109.206.2:80 mh (mh-port) persistent 100');
    expect(renderIpvsadmRules(vss)).toContain('-A -t 10.109.206.2:80 -s mh -p 100 -b mh-port\n');
  });

  it('refuses a scheduler no kernel has, naming the ones it could use', () => {
    expect(() => state(tutorialPorts(), 'r')).toThrow(/invalid ipvs.scheduler "r" .*rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos/);
  });
});

describe('ipvsadm\'s sort', () => {
  it('compares addresses as a wrapped signed difference, so 192.168.x sorts before 10.x, and keeps glibc\'s merge order', () => {
    const vs = (address: string): VirtualServer => ({ protocol: 'TCP', address, port: 80, scheduler: 'rr', flags: 0, timeout: 0, realServers: [] });
    const order = (ips: string[]) => glibcSort(ips.map(vs), compareServices).map((v) => v.address);
    expect(order(['10.96.0.1', '192.168.80.10', '172.17.0.1', '10.244.0.1'])).toEqual(['172.17.0.1', '192.168.80.10', '10.96.0.1', '10.244.0.1']);
    expect(order(['10.0.0.2', '10.0.0.10', '10.0.0.1'])).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.10']);
  });
});
