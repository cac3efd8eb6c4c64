// Running iptables-save / iptables-restore: the legacy or nf_tables variant, chosen as upstream's
// iptables-wrapper does (the variant already holding more rules wins, nft on a tie), optionally
// inside a network namespace (tests, bench).
import { execa } from 'execa';

export type IptablesVariant = 'legacy' | 'nft';

export interface IptablesRunner {
  readonly variant?: IptablesVariant;
  save(table?: string): Promise<string>;
  restore(input: string): Promise<void>;
  /** one iptables-restore fed while its input is still being made (the full sync's streamed render) */
  restoreStream?(): RestoreStream;
  /** whether the chain exists: the canary check, without dumping the tables (upstream's ChainExists) */
  chainExists?(table: string, chain: string): Promise<boolean>;
  /** sets a sysctl in the namespace the rules go to (e.g. net.ipv4.conf.all.route_localnet) */
  sysctl?(key: string, value: string): Promise<void>;
}

export interface RestoreStream {
  /** resolves once the tool has taken the chunk or is past needing it (its failure is end()'s) */
  write(chunk: string): Promise<void>;
  /** closes its input and waits: rejects with the tool's error when it refused the input */
  end(): Promise<void>;
  /** kills it before it reads a COMMIT, so nothing of this input is applied */
  abort(): void;
}

/** bytes a streamed restore may queue before its writer waits for the tool */
const STREAM_BACKLOG = 8 << 20;

export function iptablesRunner(variant: IptablesVariant, netns?: string): IptablesRunner {
  const run = (cmd: string, args: string[], input?: string, reject = true) =>
    netns ? execa('ip', ['netns', 'exec', netns, cmd, ...args], { input, reject }) : execa(cmd, args, { input, reject });
  return {
    variant,
    async save(table) { return (await run(`iptables-${variant}-save`, table ? ['-t', table] : [])).stdout; },
    // -w: wait for the xtables lock rather than fail when another writer holds it
    async restore(input) { await run(`iptables-${variant}-restore`, ['-w', '5', '--noflush'], input); },
    restoreStream() {
      const args = ['-w', '5', '--noflush'];
      const cmd = `iptables-${variant}-restore`;
      const child = netns ? execa('ip', ['netns', 'exec', netns, cmd, ...args], { stdin: 'pipe' }) : execa(cmd, args, { stdin: 'pipe' });
      child.catch(() => undefined); // end() reports it
      const stdin = child.stdin!;
      let closed = false;
      // EPIPE when the tool exits early (a refused line): its exit status and stderr say why, in end()
      stdin.on('error', () => { closed = true; });
      stdin.on('close', () => { closed = true; });
      return {
        async write(chunk) {
          if (closed) return;
          stdin.write(chunk);
          // A turn of the event loop hands what is queued to the pipe (64 kB) while the caller
          // renders on; the tool is waited for only when it falls far behind.
          if (stdin.writableLength < STREAM_BACKLOG) return new Promise<void>((resolve) => setImmediate(resolve));
          await new Promise<void>((resolve) => {
            const done = () => { stdin.off('drain', done); stdin.off('close', done); resolve(); };
            stdin.on('drain', done);
            stdin.on('close', done);
          });
        },
        async end() {
          stdin.end();
          await child;
        },
        abort() { child.kill('SIGKILL'); },
      };
    },
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
