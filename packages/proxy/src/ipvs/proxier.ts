// The ipvs mode (upstream's pkg/proxy/ipvs Proxier), driven through ipvsadm, ipset, ip and
// iptables-restore instead of netlink. A sync follows upstream's order: kube-ipvs0, virtual and real
// servers with their addresses bound, ipsets, the iptables rules matching them, then unbinding and
// deleting what no Service wants. Every sync diffs the whole table (`ipvsadm -Sn` is cheap, and
// upstream's ipvs proxier has no partial sync either), so `changed` is not needed.
import { release } from 'node:os';
import type { Backend, BackendOptions } from '../backend.js';
import { hasJump, injectJumps, section } from '../iptables/proxier.js';
import { nodePortIPs } from '../node-addresses.js';
import type { ServicePort } from '../service-ports.js';
import { bindAddress, deleteDummyDevice, dummyDeviceExists, ensureDummyDevice, localAddresses, unbindAddress } from './dummy-device.js';
import { IPVS_JUMPS, renderIpvsIptables, renderIpvsIptablesCleanup } from './iptables-rules.js';
import { diffIpvs } from './ipvs-diff.js';
import { parseIpvsadmRules } from './ipvsadm-format.js';
import { IPSETS, parseIpsetSave, renderIpsetRestore } from './ipsets.js';
import { checkIpvs } from './kernel.js';
import { buildIpvsState } from './model.js';
import { ipvsRunner, runOk, type IpvsRunner } from './runner.js';
import { ensureSysctls, ipvsSysctls } from './sysctls.js';

export class IpvsProxier implements Backend {
  readonly mode = 'ipvs' as const;
  /** the sysctls are set once, as upstream's NewProxier does */
  private prepared = false;
  private synced = false;
  private randomFully?: boolean;

  constructor(private readonly opts: BackendOptions, private readonly runner: IpvsRunner = ipvsRunner(), private readonly kernelRelease = release()) {}

  check(): Promise<void> {
    return checkIpvs(this.runner, this.opts.ipvsScheduler);
  }

  async sync(ports: ServicePort[]): Promise<void> {
    const run = this.runner;
    if (!this.prepared) {
      await ensureSysctls(run, ipvsSysctls(this.kernelRelease));
      this.prepared = true;
    }
    await ensureDummyDevice(run);
    const addrs = await localAddresses(run);
    const state = buildIpvsState(ports, { nodeName: this.opts.nodeName, nodeIP: this.opts.nodeIPs[0], ipvsScheduler: this.opts.ipvsScheduler }, {
      addresses: addrs.node, nodePortIPs: await nodePortIPs(this.opts.nodePortAddresses, addrs.all),
    });

    const { upserts, deletions } = diffIpvs(parseIpvsadmRules(await runOk(run, 'ipvsadm', ['-Sn'])), state.virtualServers);
    await this.ipvsadmRestore(upserts);
    const bound = new Set(addrs.bound);
    for (const ip of state.bindAddresses.filter((a) => !bound.has(a))) await bindAddress(run, ip);

    const sets = parseIpsetSave(await runOk(run, 'ipset', ['save']));
    await runOk(run, 'ipset', ['restore', '-exist'], renderIpsetRestore(state.sets, sets));

    const ipt = await run.iptables();
    const saved = await ipt.save();
    this.randomFully ??= (await run.run('iptables', ['-j', 'MASQUERADE', '--help'])).stdout.includes('random-fully');
    const rules = renderIpvsIptables(state, { ...this.opts, randomFully: this.randomFully });
    await ipt.restore(injectJumps(rules, IPVS_JUMPS.filter((j) => !hasJump(saved, j.table, j.chain, j.rule))));

    const wanted = new Set(state.bindAddresses);
    for (const ip of addrs.bound.filter((a) => !wanted.has(a))) await unbindAddress(run, ip);
    await this.ipvsadmRestore(deletions);
    this.synced = true;
  }

  /**
   * `ipvsadm -R` goes on after a failing line and exits with the last line's status, so any
   * complaint on stderr counts as a failure
   */
  private async ipvsadmRestore(lines: string[]): Promise<void> {
    if (!lines.length) return;
    const r = await this.runner.run('ipvsadm', ['-R'], lines.join('\n') + '\n');
    if (r.code !== 0 || r.stderr.trim()) throw new Error(`ipvsadm -R${this.runner.where} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  }

  /** there is no canary chain in ipvs mode; a missing KUBE-SERVICES, jump or kube-ipvs0 means someone flushed our state */
  /** kube-ipvs0, or a chain only this mode writes: KUBE-SERVICES and the jumps are shared with iptables mode */
  async hasLeftovers(): Promise<boolean> {
    if ((await this.runner.run('ip', ['link', 'show', 'kube-ipvs0'])).code === 0) return true;
    const saved = await (await this.runner.iptables()).save().catch(() => '');
    return /^:KUBE-(IPVS-FILTER|LOAD-BALANCER|NODE-PORT|LOOP-BACK) /m.test(saved);
  }

  async flushed(): Promise<boolean> {
    if (!this.synced) return false;
    const saved = await (await this.runner.iptables()).save('nat');
    const jump = IPVS_JUMPS.find((j) => j.chain === 'PREROUTING')!;
    return !section(saved, 'nat').includes('\n:KUBE-SERVICES ') || !hasJump(saved, 'nat', jump.chain, jump.rule) || !(await dummyDeviceExists(this.runner));
  }

  /**
   * Removes what this mode writes (upstream's cleanupLeftovers): every IPVS virtual server when the
   * kernel has IPVS, kube-ipvs0, our jumps and chains, then our ipsets (a set still referenced by a
   * rule cannot be destroyed). Quiet where none of it exists.
   */
  async cleanup(): Promise<void> {
    const run = this.runner;
    const table = await run.run('cat', ['/proc/net/ip_vs']);
    if (table.code === 0 && /^(TCP|UDP|SCTP|FWM) /m.test(table.stdout)) {
      if (!(await run.has('ipvsadm'))) throw new Error(`/proc/net/ip_vs${run.where} lists virtual servers, and removing them needs ipvsadm (Debian package ipvsadm)`);
      await runOk(run, 'ipvsadm', ['-C']);
    }
    await deleteDummyDevice(run);
    const ipt = await run.iptables();
    const input = renderIpvsIptablesCleanup(await ipt.save().catch(() => ''));
    if (input) await ipt.restore(input);
    if (await run.has('ipset')) {
      const existing = new Set((await runOk(run, 'ipset', ['list', '-n'])).split('\n'));
      for (const { name } of IPSETS.filter((s) => existing.has(s.name))) await runOk(run, 'ipset', ['destroy', name]);
    }
    this.synced = false;
  }
}
