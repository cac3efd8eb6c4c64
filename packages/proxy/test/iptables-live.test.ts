// The iptables backend against the real iptables-restore, legacy and nf_tables variants, in a
// network namespace this test creates: full sync, partial sync (only the changed Service's chains
// written, the others left as they are), stale chains removed, cleanup leaves nothing.
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IptablesProxier } from '../src/iptables/proxier.js';
import { renderRules } from '../src/iptables/rules.js';
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

/** iptables-save with counters and comments dropped, tables and chains sorted, rules grouped by chain in their order */
function normalized(saved: string): string {
  const out: string[] = [];
  // tables in name order: iptables-legacy-save lists them in the order the namespace first used them
  for (const table of saved.split(/^\*/m).slice(1).sort()) {
    const lines = table.split('\n').filter((l) => l && !l.startsWith('#') && l !== 'COMMIT');
    const chains = lines.filter((l) => l.startsWith(':')).map((l) => l.replace(/\[\d+:\d+\]$/, '')).sort();
    const rules = lines.filter((l) => l.startsWith('-A '));
    const chainOf = (r: string) => r.split(' ')[1]!;
    out.push(`*${lines[0]}`, ...chains, ...rules.map((r, i) => [r, i] as const).sort((a, b) => (chainOf(a[0]) < chainOf(b[0]) ? -1 : chainOf(a[0]) > chainOf(b[0]) ? 1 : a[1] - b[1])).map(([r]) => r));
  }
  return out.join('\n');
}

/** many Services (the streamed render writes in chunks of 4096 lines), some with every feature */
function manyPorts(count: number, clusterIP = (i: number) => `10.96.${i >> 8}.${i & 255}`): ServicePort[] {
  return Array.from({ length: count }, (_, i) => {
    const p = port(`s${i}`, clusterIP(i), i % 50 === 7 ? [] : [1, 2, 3, 4, 5].map((k) => `10.244.${i >> 8}.${((i * 5 + k) & 255) || 1}`));
    if (i % 10 === 3) return { ...p, nodePort: 30000 + i, externalIPs: ['192.0.2.10'], externalLocal: i % 20 === 3 };
    if (i % 10 === 4) return { ...p, affinitySeconds: 100, loadBalancerIPs: ['198.51.100.4'], loadBalancerSourceRanges: ['203.0.113.0/24'] };
    return p;
  });
}

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

  it('a full sync streamed into iptables-restore while it renders leaves the same tables as the same rules restored in one piece', async () => {
    const ports = manyPorts(700);
    const opts = { clusterCIDR: '10.244.0.0/16', masqueradeBit: 14, masqueradeAll: false, randomFully: true };
    let streamed = 0;
    const counting = { ...ipt, restoreStream: () => { streamed++; return ipt.restoreStream!(); } };
    await new IptablesProxier(opts, counting).sync(ports);
    expect(streamed).toBe(1);
    const viaStream = await ipt.save();
    expect(viaStream.match(/^-A KUBE-SEP-\S+ .*-j DNAT/gm)!.length).toBeGreaterThan(3000);

    const other = `${ns}-b`;
    await execa('ip', ['netns', 'add', other]);
    try {
      const whole = iptablesRunner(variant, other);
      // the jumps a first sync adds, as the stream writes them at the end of their table
      const first = new IptablesProxier(opts, { ...whole, restoreStream: undefined });
      await first.sync(ports);
      expect(normalized(await whole.save())).toBe(normalized(viaStream));
      expect(renderRules(ports, { ...opts, nodePortIPs: undefined }).text.length).toBeGreaterThan(100_000);
    } finally {
      await execa('ip', ['netns', 'del', other], { reject: false });
    }
  });

  it('a streamed full sync the tool refuses midway applies nothing, says why, and the next sync is full again', async () => {
    const good = manyPorts(300);
    await proxier.sync(good);
    const before = await ipt.save();
    // Service 250's cluster IP is not an address: iptables-restore stops at that line, long after it began reading
    const bad = manyPorts(300, (i) => (i === 250 ? '10.96.0.300' : `10.96.${i >> 8}.${i & 255}`));
    await expect(proxier.sync(bad.map((p, i) => (i === 0 ? { ...p, endpoints: [] } : p)))).rejects.toThrow(/iptables-(legacy|nft)-restore/);
    expect(normalized(await ipt.save())).toBe(normalized(before));
    await proxier.sync(good, new Set([good[0]!.name]));
    expect(proxier.lastWasPartial).toBe(false);
  });

  it('cleans up everything it wrote, jumps included', async () => {
    await proxier.cleanup();
    const saved = await ipt.save();
    expect(saved).not.toMatch(/KUBE-/);
  });
});
