// The iptables backend against the real iptables-restore, legacy and nf_tables variants, in a
// network namespace this test creates: full sync, partial sync (only the changed Service's chains
// written, the others left as they are), stale chains removed, cleanup leaves nothing.
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IptablesProxier } from '../src/iptables/proxier.js';
import { iptablesRunner, type IptablesVariant } from '../src/iptables/runner.js';
import type { ServicePort } from '../src/service-ports.js';

const ns = `svt-ipt-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root: it creates a network namespace and writes iptables rules in it');
  await execa('ip', ['netns', 'add', ns]);
});
afterAll(async () => { await execa('ip', ['netns', 'del', ns], { reject: false }); });

const port = (name: string, ip: string, eps: string[]): ServicePort => ({
  name: `ns/${name}:p`, namespace: 'ns', service: name, portName: 'p', protocol: 'TCP', clusterIP: ip, port: 80, nodePort: 0,
  externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], affinitySeconds: 0, externalLocal: false, internalLocal: false, healthCheckNodePort: 0,
  endpoints: eps.map((e) => ({ ip: e, port: 8080, ready: true, serving: true, terminating: false })),
});

const natRules = (saved: string) => saved.split(/^\*/m).find((s) => s.startsWith('nat\n'))!.split('\n').filter((l) => l.startsWith('-A KUBE-'));

describe.each(['legacy', 'nft'] as IptablesVariant[])('the iptables backend on iptables-%s', (variant) => {
  const ipt = iptablesRunner(variant, ns);
  const proxier = new IptablesProxier({ clusterCIDR: '10.244.0.0/16', masqueradeBit: 14, masqueradeAll: false, randomFully: true }, ipt);

  it('writes everything on a full sync, then only the changed Service on a partial one', async () => {
    const a = port('a', '10.96.0.10', ['10.244.1.1']);
    const b = port('b', '10.96.0.11', ['10.244.1.2', '10.244.2.2']);
    await proxier.sync([a, b]);
    const first = await ipt.save();
    expect(first).toContain('-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "ns/a:p cluster IP" -m tcp --dport 80 -j KUBE-SVC-');
    expect(natRules(first).filter((l) => l.includes('DNAT'))).toHaveLength(3);

    // b gains an endpoint; a is not rewritten (its chain is not in the restore) and stays as it was
    const b2 = port('b', '10.96.0.11', ['10.244.1.2', '10.244.2.2', '10.244.3.2']);
    await proxier.sync([a, b2], new Set([b2.name]));
    expect(proxier.lastWasPartial).toBe(true);
    expect(proxier.lastWrittenChains).toBe(4); // KUBE-SVC + 3 KUBE-SEP of b
    const second = await ipt.save();
    expect(natRules(second).filter((l) => l.includes('ns/a:p'))).toEqual(natRules(first).filter((l) => l.includes('ns/a:p')));
    expect(natRules(second).filter((l) => l.includes('DNAT'))).toHaveLength(4);

    // a goes away: its chains are deleted on the partial sync that notices
    await proxier.sync([b2], new Set([a.name]));
    const third = await ipt.save();
    expect(third).not.toContain('ns/a:p');
    expect(third.match(/^:KUBE-SEP-/gm)).toHaveLength(3);
  });

  it('notices a flushed table through the canary chain, without dumping the tables', async () => {
    expect(await ipt.chainExists!('nat', 'KUBE-PROXY-CANARY')).toBe(true);
    expect(await proxier.flushed()).toBe(false);
    await execa('ip', ['netns', 'exec', ns, `iptables-${variant}`, '-w', '-t', 'mangle', '-X', 'KUBE-PROXY-CANARY']);
    expect(await ipt.chainExists!('mangle', 'KUBE-PROXY-CANARY')).toBe(false);
    expect(await proxier.flushed()).toBe(true);
    await proxier.sync([port('b', '10.96.0.11', ['10.244.1.2'])]);
    expect(await proxier.flushed()).toBe(false);
  });

  it('a restarted kube-proxy\'s first (full) sync removes the chains of Services gone meanwhile, and keeps the jumps single', async () => {
    await proxier.sync([port('gone', '10.96.0.12', ['10.244.1.9']), port('b', '10.96.0.11', ['10.244.1.2'])]);
    const restarted = new IptablesProxier({ clusterCIDR: '10.244.0.0/16', masqueradeBit: 14, masqueradeAll: false, randomFully: true }, ipt);
    await restarted.sync([port('b', '10.96.0.11', ['10.244.1.2'])]);
    const saved = await ipt.save();
    expect(saved).not.toContain('ns/gone:p');
    expect(saved.match(/^:KUBE-SEP-/gm)).toHaveLength(1);
    expect(saved.match(/^-A PREROUTING .*-j KUBE-SERVICES$/gm)).toHaveLength(1);
  });

  it('cleans up everything it wrote, jumps included', async () => {
    await proxier.cleanup();
    const saved = await ipt.save();
    expect(saved).not.toMatch(/KUBE-/);
  });
});
