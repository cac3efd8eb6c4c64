// Running iptables-save / iptables-restore: the legacy or nf_tables variant, chosen as upstream's
// iptables-wrapper does (the variant already holding more rules wins, nft on a tie), optionally
// inside a network namespace (tests, bench).
import { execa } from 'execa';

export type IptablesVariant = 'legacy' | 'nft';

export interface IptablesRunner {
  readonly variant?: IptablesVariant;
  save(table?: string): Promise<string>;
  restore(input: string): Promise<void>;
  /** whether the chain exists: the canary check, without dumping the tables (upstream's ChainExists) */
  chainExists?(table: string, chain: string): Promise<boolean>;
  /** sets a sysctl in the namespace the rules go to (e.g. net.ipv4.conf.all.route_localnet) */
  sysctl?(key: string, value: string): Promise<void>;
}

export function iptablesRunner(variant: IptablesVariant, netns?: string): IptablesRunner {
  const run = (cmd: string, args: string[], input?: string, reject = true) =>
    netns ? execa('ip', ['netns', 'exec', netns, cmd, ...args], { input, reject }) : execa(cmd, args, { input, reject });
  return {
    variant,
    async save(table) { return (await run(`iptables-${variant}-save`, table ? ['-t', table] : [])).stdout; },
    // -w: wait for the xtables lock rather than fail when another writer holds it
    async restore(input) { await run(`iptables-${variant}-restore`, ['-w', '5', '--noflush'], input); },
    async chainExists(table, chain) {
      const r = await run(`iptables-${variant}`, ['-w', '5', '-t', table, '-S', chain], undefined, false);
      if (r.exitCode === 0) return true;
      // exit 1: no such chain (iptables-nft 1.8.9 words it "… is incompatible, use 'nft' tool"); 2+: usage, lock, kernel
      if (r.exitCode === 1) return false;
      throw new Error(`iptables-${variant} -t ${table} -S ${chain}: ${String(r.stderr).split('\n')[0]}`);
    },
    // through /proc rather than the sysctl tool (procps), which a minimal host may lack
    async sysctl(key, value) { await run('sh', ['-c', `echo ${value} > /proc/sys/${key.replaceAll('.', '/')}`]); },
  };
}

const decided = new Map<string, Promise<IptablesVariant>>();

/**
 * upstream's iptables-wrapper choice: the variant the host already uses; nft when neither has rules.
 * Decided once per namespace (both saves are slow on a big ruleset, and every mode asks at start-up).
 */
export function detectVariant(netns?: string): Promise<IptablesVariant> {
  let d = decided.get(netns ?? '');
  if (!d) { d = countRules(netns); decided.set(netns ?? '', d); }
  return d;
}

async function countRules(netns?: string): Promise<IptablesVariant> {
  const count = async (v: IptablesVariant) => {
    try { return (await iptablesRunner(v, netns).save()).split('\n').filter((l) => l.startsWith('-')).length; } catch { return -1; }
  };
  const [legacy, nft] = await Promise.all([count('legacy'), count('nft')]);
  return legacy > nft ? 'legacy' : 'nft';
}
