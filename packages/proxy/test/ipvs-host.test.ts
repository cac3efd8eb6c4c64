// The ipvs mode on this machine, inside a network namespace of its own (svt-ipvs-<random>):
// check() tells the truth about the kernel, and cleanup() removes leftovers and is quiet where
// there are none. It expects whichever outcome the host calls for, never skips.
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILTER_CHAINS, IPVS_JUMPS, NAT_CHAINS, renderIpvsIptables } from '../src/ipvs/iptables-rules.js';
import { IPSETS, renderIpsetRestore } from '../src/ipvs/ipsets.js';
import { readKernelConfig } from '../src/ipvs/kernel.js';
import { buildIpvsState } from '../src/ipvs/model.js';
import { IpvsProxier } from '../src/ipvs/proxier.js';
import { ipvsRunner } from '../src/ipvs/runner.js';
import { options, TUTORIAL_NODE_ADDRESSES, tutorialPorts } from './ipvs-fixtures.js';

const ns = `svt-ipvs-${randomBytes(3).toString('hex')}`;
const runner = ipvsRunner(ns);
const proxier = new IpvsProxier(options(), runner);
const inNs = (cmd: string, args: string[], input?: string) => execa('ip', ['netns', 'exec', ns, cmd, ...args], { input, reject: false });
const ourChains = new Set([...NAT_CHAINS, ...FILTER_CHAINS]);

beforeAll(async () => { await execa('ip', ['netns', 'add', ns]); });
afterAll(async () => { await execa('ip', ['netns', 'del', ns], { reject: false }); });

/** what of ours is in the namespace */
async function leftovers(): Promise<string[]> {
  const found: string[] = [];
  if ((await inNs('ip', ['link', 'show', 'kube-ipvs0'])).exitCode === 0) found.push('kube-ipvs0');
  const saved = await (await runner.iptables()).save();
  found.push(...[...saved.matchAll(/^:(KUBE-\S+) /gm)].map((m) => m[1]!).filter((c) => ourChains.has(c)));
  found.push(...IPVS_JUMPS.filter((j) => saved.includes(j.rule.match(/"(.+)"/)![0]) && saved.includes(`-A ${j.chain} `)).map((j) => `${j.chain} jump`));
  if (await runner.has('ipset')) found.push(...(await inNs('ipset', ['list', '-n'])).stdout.split('\n').filter((s) => IPSETS.some((i) => i.name === s)));
  return found;
}

describe('check() on this machine', () => {
  it('fails naming IP_VS, the modprobe command and the other modes where the kernel has no IPVS; passes where it has it and the tools', async () => {
    if (await runner.has('modprobe')) await execa('modprobe', ['--', 'ip_vs'], { reject: false });
    const kernelHasIpvs = existsSync('/proc/net/ip_vs');
    const config = await readKernelConfig();
    const dummy = !config || config.has('CONFIG_DUMMY');
    const tools = (await runner.has('ipset')) && (await runner.has('ipvsadm'));
    const result = await proxier.check().then(() => undefined, (e: Error) => e.message);
    if (kernelHasIpvs && tools && dummy) {
      expect(result).toBeUndefined();
    } else if (kernelHasIpvs) {
      expect(result).toMatch(/^can't use the IPVS proxier: /);
      expect(result).not.toContain('no IP Virtual Server support');
    } else {
      expect(result).toMatch(/^can't use the IPVS proxier: the kernel has no IP Virtual Server support \(IP_VS\): \/proc\/net\/ip_vs does not exist/);
      expect(result).toContain('CONFIG_IP_VS');
      expect(result).toContain('`modprobe -a ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh nf_conntrack`');
      expect(result).toContain('set mode: "iptables" (or mode: "nftables") in the kube-proxy ConfigMap');
      if (!(await runner.has('ipvsadm'))) expect(result).toContain('ipvsadm is not installed (Debian package ipvsadm)');
      if (!(await runner.has('ipset'))) expect(result).toContain('ipset is not installed (Debian package ipset)');
    }
  });
});

describe('cleanup() in a network namespace', () => {
  it('succeeds quietly where nothing of the ipvs mode exists, twice', async () => {
    expect(await leftovers()).toEqual([]);
    expect(await proxier.hasLeftovers()).toBe(false);
    await proxier.cleanup();
    await proxier.cleanup();
    expect(await leftovers()).toEqual([]);
  });

  it('removes kube-ipvs0, our jumps, chains and ipsets, and keeps a chain another mode\'s rules still use', async () => {
    const ipt = await runner.iptables();
    const dummy = (await inNs('ip', ['link', 'add', 'kube-ipvs0', 'type', 'dummy'])).exitCode === 0; // needs CONFIG_DUMMY
    const jumps = IPVS_JUMPS.map((j) => ({ ...j, line: `-A ${j.chain} ${j.rule}` }));
    const table = (t: 'nat' | 'filter', chains: string[]) => [`*${t}`, ...chains.map((c) => `:${c} - [0:0]`), ...jumps.filter((j) => j.table === t).map((j) => j.line), 'COMMIT'];
    if (await runner.has('ipset')) {
      // the mode's full output: the sets first, since the rules match them
      const state = buildIpvsState(tutorialPorts(), { nodeName: 'master', ipvsScheduler: '' }, { addresses: TUTORIAL_NODE_ADDRESSES });
      expect((await inNs('ipset', ['restore', '-exist'], renderIpsetRestore(state.sets))).exitCode).toBe(0);
      await ipt.restore(renderIpvsIptables(state, { clusterCIDR: '10.244.0.0/16', masqueradeBit: 14, masqueradeAll: false, randomFully: false }));
      await ipt.restore([...table('nat', []), ...table('filter', [])].join('\n') + '\n');
    } else {
      await ipt.restore([...table('nat', NAT_CHAINS), ...table('filter', FILTER_CHAINS)].join('\n') + '\n');
    }
    // an iptables-mode chain still marking for masquerade through KUBE-MARK-MASQ
    await ipt.restore('*nat\n:KUBE-SVC-LEFTOVER - [0:0]\n-A KUBE-SVC-LEFTOVER -j KUBE-MARK-MASQ\nCOMMIT\n');
    const before = await leftovers();
    expect(before).toContain('KUBE-IPVS-FILTER');
    expect(before).toContain('PREROUTING jump');
    if (dummy) expect(before).toContain('kube-ipvs0');
    expect(await proxier.hasLeftovers()).toBe(true);

    await proxier.cleanup();
    expect(await leftovers()).toEqual(['KUBE-MARK-MASQ']);
    expect(await ipt.save('nat')).toContain('-A KUBE-SVC-LEFTOVER -j KUBE-MARK-MASQ');
  });
});
