// Network namespaces for the live nftables tests (named svt-nft-<random>), and table ip kube-proxy
// as comparable facts: one string per chain, rule and map/set element, from `nft -j`.
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { requireRoot } from '../../cluster/test/host.js';

export { requireRoot };

export const netnsName = (suffix = '') => `svt-nft-${randomBytes(3).toString('hex')}${suffix}`;

export async function addNetns(name: string): Promise<void> {
  await execa('ip', ['netns', 'add', name]);
  await execa('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

export async function deleteNetns(...names: string[]): Promise<void> {
  for (const n of names) await execa('ip', ['netns', 'del', n], { reject: false });
}

export const inNetns = (ns: string, cmd: string, args: string[], input?: string) => execa('ip', ['netns', 'exec', ns, cmd, ...args], { input });

interface NftObject {
  chain?: { table: string; name: string };
  rule?: { table: string; chain: string; expr: unknown[] };
  set?: { table: string; name: string; elem?: unknown[] };
  map?: { table: string; name: string; elem?: unknown[] };
}

/** Everything in table ip kube-proxy but handles and affinity timers, as a set of one-line facts. */
export async function tableFacts(ns: string): Promise<Set<string>> {
  const out = JSON.parse((await inNetns(ns, 'nft', ['-j', 'list', 'table', 'ip', 'kube-proxy'])).stdout) as { nftables: NftObject[] };
  const facts = new Set<string>();
  for (const o of out.nftables) {
    if (o.chain) facts.add(`chain ${o.chain.name}`);
    if (o.rule) facts.add(`rule ${o.rule.chain} ${JSON.stringify(o.rule.expr)}`);
    const s = o.set ?? o.map;
    if (s) {
      facts.add(`${o.set ? 'set' : 'map'} ${s.name}`);
      for (const e of s.elem ?? []) facts.add(`element ${s.name} ${JSON.stringify(e).replace(/"expires":\d+,?/g, '')}`);
    }
  }
  return facts;
}

export const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();
