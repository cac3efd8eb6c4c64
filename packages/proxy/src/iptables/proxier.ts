// The iptables backend's sync: render, then one `iptables-restore --noflush` (atomic per table).
// As upstream (KEP-3453), a partial sync writes the shared chains plus only the changed Services'
// chains; jumps from the built-in chains and leftover chains are checked against iptables-save on
// full syncs only, since iptables-save is the slow part at scale. A full sync streams its render
// into iptables-restore, which parses one part while the next is rendered.
import type { Backend, BackendOptions } from '../backend.js';
import { nodePortIPs } from '../node-addresses.js';
import type { ServicePort } from '../service-ports.js';
import { FIREWALL_JUMPS, JUMPS, localhostNodePortsActive, ownedChainPrefix, RenderCache, renderRules, streamRules, type RenderOptions } from './rules.js';
import { iptablesRunner, type IptablesRunner } from './runner.js';

export type { IptablesRunner } from './runner.js';

/** Upstream's canary: an empty chain in each table; if it is gone, someone flushed the tables. */
export const CANARY = 'KUBE-PROXY-CANARY';
const CANARY_TABLE = `*mangle\n:${CANARY} - [0:0]\nCOMMIT\n`;

export interface IptablesOptions extends Pick<BackendOptions, 'nodeName' | 'clusterCIDR' | 'masqueradeBit' | 'masqueradeAll'> {
  nodeIPs?: string[];
  nodePortAddresses?: string[];
  randomFully: boolean;
  localhostNodePorts?: boolean;
}

export class IptablesProxier implements Backend {
  readonly mode = 'iptables' as const;
  /** per-Service nat chains in the kernel after the last successful restore */
  private ownChains: string[] = [];
  private needFull = true;
  /** per-Service renderings: a partial sync renders only what changed */
  private readonly cache = new RenderCache();
  /** chains written by the last restore (for metrics and tests) */
  lastWrittenChains = 0;
  lastWasPartial = false;

  constructor(private readonly opts: IptablesOptions, readonly ipt: IptablesRunner = iptablesRunner('nft')) {}

  async check(): Promise<void> {
    try { await this.ipt.save('nat'); } catch (e) {
      throw new Error(`can't use the iptables proxier: iptables-${this.ipt.variant ?? 'nft'}-save failed (${(e as Error).message.split('\n')[0]}); install Debian's iptables package and make sure the kernel has netfilter (nf_tables or ip_tables)`);
    }
  }

  /** true when a canary chain is missing (the tables were flushed behind our back) */
  async flushed(): Promise<boolean> {
    // listing one chain per table rather than iptables-save: at 10k Services a save takes seconds
    if (this.ipt.chainExists) {
      for (const table of ['mangle', 'nat', 'filter']) if (!(await this.ipt.chainExists(table, CANARY))) return true;
      return false;
    }
    const saved = await this.ipt.save();
    return ['mangle', 'nat', 'filter'].some((table) => !section(saved, table).includes(`:${CANARY} `));
  }

  async sync(ports: ServicePort[], changed?: ReadonlySet<string>): Promise<void> {
    const full = this.needFull || !changed;
    const o: RenderOptions = {
      ...this.opts, randomFully: this.opts.randomFully,
      nodeIP: this.opts.nodeIPs?.[0],
      nodePortIPs: await nodePortIPs(this.opts.nodePortAddresses ?? []),
    };
    const localhost = localhostNodePortsActive(o);
    this.needFull = true; // until this restore succeeds
    let r: { natChains: string[]; writtenChains: number };
    if (full) {
      // localhost NodePorts: packets to 127.0.0.1 may be DNATed off the host (upstream sets this too)
      if (localhost) await this.ipt.sysctl?.('net.ipv4.conf.all.route_localnet', '1').catch(() => undefined);
      r = await this.fullSync(ports, o, localhost);
    } else {
      const p = renderRules(ports, o, { stale: this.ownChains, changed, cache: this.cache });
      await this.ipt.restore(p.text + CANARY_TABLE);
      r = p;
    }
    this.ownChains = r.natChains;
    this.needFull = false;
    this.lastWrittenChains = r.writtenChains;
    this.lastWasPartial = !full;
  }

  /**
   * A full sync also cleans up after a previous kube-proxy (its chains, missing jumps): that needs
   * iptables-save, which runs in its process while we render; what it finds goes at the end of its
   * table. The render is streamed into iptables-restore where the runner can, so the tool parses
   * while we render.
   */
  private async fullSync(ports: ServicePort[], o: RenderOptions, localhost: boolean): Promise<{ natChains: string[]; writtenChains: number }> {
    const saving = this.ipt.save();
    saving.catch(() => undefined);
    const wanted = [...JUMPS, ...(localhost ? FIREWALL_JUMPS : [])];
    const tableEnd = async (table: 'nat' | 'filter', natChains: string[]): Promise<string[]> => {
      const saved = await saving;
      // inserted first, as upstream prepends them
      const jumps = wanted.filter((j) => j.table === table && !hasJump(saved, j.table, j.chain, j.rule)).reverse().map((j) => `-I ${j.chain} 1 ${j.rule}`);
      if (table === 'filter') return jumps;
      const active = new Set(natChains);
      const stale = [...new Set([...this.ownChains, ...[...section(saved, 'nat').matchAll(/^:(KUBE-\S+) /gm)].map((m) => m[1]!).filter(ownedChainPrefix)])].filter((c) => !active.has(c));
      return [...stale.map((c) => `:${c} - [0:0]`), ...stale.map((c) => `-X ${c}`), ...jumps];
    };
    const stream = this.ipt.restoreStream?.();
    if (!stream) {
      const r = renderRules(ports, o, { cache: this.cache });
      let text = r.text;
      for (const table of ['filter', 'nat'] as const) text = appendToTable(text, table, await tableEnd(table, r.natChains));
      await this.ipt.restore(text + CANARY_TABLE);
      return r;
    }
    let r: { natChains: string[]; writtenChains: number };
    try {
      r = await streamRules(ports, o, this.cache, { write: (chunk) => stream.write(chunk), tableEnd });
      await stream.write(CANARY_TABLE);
    } catch (e) {
      stream.abort(); // before its COMMIT: nothing of this sync is applied
      throw e;
    }
    await stream.end();
    return r;
  }

  /** the next sync rewrites everything (the canary saw a flush) */
  forceFullSync(): void { this.needFull = true; }

  /** Removes everything this backend wrote (kube-proxy --cleanup, and a mode switch). */
  async cleanup(): Promise<void> {
    const saved = await this.ipt.save().catch(() => '');
    const lines: string[] = [];
    for (const table of ['filter', 'nat'] as const) {
      const ours = [...section(saved, table).matchAll(/^:(KUBE-\S+) /gm)].map((m) => m[1]!).filter((c) => OWNED.test(c));
      const jumps = [...JUMPS, ...FIREWALL_JUMPS].filter((j) => j.table === table && hasJump(saved, j.table, j.chain, j.rule));
      if (ours.length === 0 && jumps.length === 0) continue;
      lines.push(`*${table}`, ...jumps.map((j) => `-D ${j.chain} ${j.rule}`), ...ours.map((c) => `:${c} - [0:0]`), ...ours.map((c) => `-X ${c}`), 'COMMIT');
    }
    if (section(saved, 'mangle').includes(`:${CANARY} `)) lines.push('*mangle', `:${CANARY} - [0:0]`, `-X ${CANARY}`, 'COMMIT');
    if (lines.length) await this.ipt.restore(lines.join('\n') + '\n');
    this.ownChains = [];
    this.needFull = true;
  }
}

/** the chains this mode writes (other modes' chains, e.g. userspace's KUBE-PORTALS-*, are theirs to remove) */
const OWNED = /^KUBE-(SVC|SVL|EXT|FW|SEP)-|^KUBE-(SERVICES|NODEPORTS|EXTERNAL-SERVICES|FORWARD|PROXY-FIREWALL|FIREWALL|MARK-MASQ|POSTROUTING|PROXY-CANARY)$/;

/** one table of an iptables-save, from its "*table" line to its COMMIT (the whole dump is not split: at 10k Services it is 17 MB) */
export function section(saved: string, table: string): string {
  const head = `*${table}\n`;
  const start = saved.startsWith(head) ? 0 : saved.indexOf(`\n${head}`) + 1;
  if (start === 0 && !saved.startsWith(head)) return '';
  const end = saved.indexOf('\nCOMMIT', start);
  return saved.slice(start, end < 0 ? undefined : end + 1);
}

export function hasJump(saved: string, table: string, chain: string, rule: string): boolean {
  const target = rule.slice(rule.lastIndexOf('-j '));
  const commentText = rule.match(/--comment "([^"]+)"/)?.[1] ?? '';
  const text = section(saved, table);
  // only the built-in chain's own lines are read, not every rule of the table
  const head = `\n-A ${chain} `;
  for (let i = text.indexOf(head); i >= 0; i = text.indexOf(head, i + 1)) {
    const end = text.indexOf('\n', i + 1);
    const line = text.slice(i + 1, end < 0 ? undefined : end);
    if (line.includes(commentText) && line.endsWith(target)) return true;
  }
  return false;
}

/** Adds lines at the end of a table's section, before its COMMIT. */
export function appendToTable(text: string, table: string, lines: string[]): string {
  if (lines.length === 0) return text;
  const start = text.indexOf(`*${table}\n`);
  const commit = text.indexOf('COMMIT\n', start);
  return text.slice(0, commit) + lines.join('\n') + '\n' + text.slice(commit);
}

/** Adds the missing jump rules into each table's section, before its COMMIT (inserted first, as upstream prepends). */
export function injectJumps(text: string, jumps: typeof JUMPS): string {
  let out = text;
  for (const table of ['filter', 'nat'] as const) out = appendToTable(out, table, [...jumps.filter((j) => j.table === table)].reverse().map((j) => `-I ${j.chain} 1 ${j.rule}`));
  return out;
}
