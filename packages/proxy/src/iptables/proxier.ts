// The iptables backend's sync: render every Service port, then one `iptables-restore --noflush`
// (atomic per table). Jumps from the built-in chains and stale-chain removal are checked against
// `iptables-save` on full syncs, as upstream does.
import { execa } from 'execa';
import type { ServicePort } from '../service-ports.js';
import { JUMPS, ownedChainPrefix, renderRules, type RenderOptions } from './rules.js';

export interface IptablesRunner {
  save(): Promise<string>;
  restore(input: string): Promise<void>;
}

export const hostIptables: IptablesRunner = {
  async save() { return (await execa('iptables-save', [])).stdout; },
  async restore(input) { await execa('iptables-restore', ['-w', '5', '--noflush'], { input }); },
};

/** Upstream's canary: an empty chain in each table; if it is gone, someone flushed the tables. */
export const CANARY = 'KUBE-PROXY-CANARY';

export class IptablesProxier {
  private knownNatChains: string[] = [];

  /** true when the canary chains are missing (the tables were flushed behind our back) */
  async flushed(): Promise<boolean> {
    const saved = await this.ipt.save();
    return ['mangle', 'nat', 'filter'].some((table) => !(saved.split(/^\*/m).find((s) => s.startsWith(table + '\n')) ?? '').includes(`:${CANARY} `));
  }

  constructor(private readonly opts: RenderOptions, private readonly ipt: IptablesRunner = hostIptables) {}

  async sync(ports: ServicePort[]): Promise<void> {
    const saved = await this.ipt.save();
    const existing = [...saved.matchAll(/^:(KUBE-\S+) /gm)].map((m) => m[1]!).filter(ownedChainPrefix);
    const stale = [...new Set([...this.knownNatChains, ...existing])];
    const { text, natChains } = renderRules(ports, this.opts, stale);
    const jumps = missingJumps(saved);
    await this.ipt.restore(injectJumps(text, jumps) + `*mangle\n:${CANARY} - [0:0]\nCOMMIT\n`);
    this.knownNatChains = natChains.filter(ownedChainPrefix);
  }

  /** Removes everything this backend wrote (kube-proxy --cleanup, and a mode switch). */
  async cleanup(): Promise<void> {
    const saved = await this.ipt.save();
    const chains = (table: string) => {
      const section = saved.split(/^\*/m).find((s) => s.startsWith(table + '\n')) ?? '';
      return [...section.matchAll(/^:(KUBE-\S+) /gm)].map((m) => m[1]!);
    };
    const lines: string[] = [];
    for (const table of ['filter', 'nat'] as const) {
      const ours = chains(table);
      if (ours.length === 0) continue;
      lines.push(`*${table}`);
      for (const j of JUMPS.filter((x) => x.table === table)) {
        if (hasJump(saved, j.table, j.chain, j.rule)) lines.push(`-D ${j.chain} ${j.rule}`);
      }
      lines.push(...ours.map((c) => `:${c} - [0:0]`), ...ours.map((c) => `-X ${c}`), 'COMMIT');
    }
    if (saved.includes(`:${CANARY} `)) lines.push('*mangle', `:${CANARY} - [0:0]`, `-X ${CANARY}`, 'COMMIT');
    if (lines.length) await this.ipt.restore(lines.join('\n') + '\n');
  }
}

function hasJump(saved: string, table: string, chain: string, rule: string): boolean {
  const section = saved.split(/^\*/m).find((s) => s.startsWith(table + '\n')) ?? '';
  const target = rule.slice(rule.lastIndexOf('-j '));
  const commentText = rule.match(/--comment "([^"]+)"/)?.[1] ?? '';
  return section.split('\n').some((l) => l.startsWith(`-A ${chain} `) && l.includes(commentText) && l.endsWith(target));
}

function missingJumps(saved: string) {
  return JUMPS.filter((j) => !hasJump(saved, j.table, j.chain, j.rule));
}

/** Adds the missing jump rules into each table's section, before its COMMIT (inserted first, as upstream prepends). */
function injectJumps(text: string, jumps: typeof JUMPS): string {
  let out = text;
  for (const table of ['filter', 'nat'] as const) {
    const lines = [...jumps.filter((j) => j.table === table)].reverse().map((j) => `-I ${j.chain} 1 ${j.rule}`);
    if (lines.length === 0) continue;
    const start = out.indexOf(`*${table}\n`);
    const commit = out.indexOf('COMMIT\n', start);
    out = out.slice(0, commit) + lines.join('\n') + '\n' + out.slice(commit);
  }
  return out;
}
