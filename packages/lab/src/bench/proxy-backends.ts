// The kernel-programming backends `pnpm bench proxy` compares, each bound to a namespace through the
// proxy package's own runner, wrapped to keep the exact text of the last restore (or `nft -f`) and
// how long that one process took. The "raw" side runs that same command on that same text.
import { execa } from 'execa';
import type { Backend, BackendOptions } from '../../../proxy/src/backend.js';
import { serviceChain } from '../../../proxy/src/iptables/names.js';
import { IptablesProxier } from '../../../proxy/src/iptables/proxier.js';
import { iptablesRunner, type IptablesRunner, type IptablesVariant } from '../../../proxy/src/iptables/runner.js';
import type { ServicePort } from '../../../proxy/src/service-ports.js';
import { CLIENT_IP } from './proxy-netns.js';
import { CLUSTER_CIDR } from './proxy-model.js';
import type { NftBackend, NftModule } from './proxy-nft.js';

export const BACKEND_OPTIONS: BackendOptions = {
  nodeIPs: [CLIENT_IP], nodePortAddresses: [], clusterCIDR: CLUSTER_CIDR, masqueradeBit: 14, masqueradeAll: false, ipvsScheduler: '',
};

/** The input of the last restore / `nft -f` a backend ran, and that process's wall time. */
export interface LastWrite { text: string; ms: number }

export interface Bound {
  backend: Backend;
  last: LastWrite;
  /** what the last sync wrote, for the partial-sync figure */
  written(): string;
  /** whether this Service port's ClusterIP dispatch is in the kernel (checked outside any timing) */
  visible(sp: ServicePort): Promise<boolean>;
  /** the tables as the kernel has them, in the raw tool's input format (iptables only) */
  dump?(): Promise<string>;
}

export interface Subject {
  /** "iptables-legacy", "iptables-nft", "nftables" */
  label: string;
  /** the command the raw side runs, for the tables */
  tool: string;
  bind(ns: string): Bound;
  /** the raw command on `text` in namespace `ns`; its wall time in ms */
  raw(ns: string, text: string): Promise<number>;
}

const timed = async (f: () => Promise<unknown>) => { const t0 = performance.now(); await f(); return performance.now() - t0; };

async function supportsRandomFully(variant: IptablesVariant): Promise<boolean> {
  const r = await execa(`iptables-${variant}`, ['-j', 'MASQUERADE', '--help'], { reject: false });
  return r.stdout.includes('random-fully');
}

export async function iptablesSubject(variant: IptablesVariant): Promise<Subject> {
  const randomFully = await supportsRandomFully(variant);
  return {
    label: `iptables-${variant}`,
    tool: `iptables-${variant}-restore -w 5 --noflush`,
    bind(ns) {
      const inner = iptablesRunner(variant, ns);
      const last: LastWrite = { text: '', ms: 0 };
      const runner: IptablesRunner = {
        variant,
        save: (table) => inner.save(table),
        async restore(input) { last.ms = await timed(() => inner.restore(input)); last.text = input; },
        // the full sync streams its render into the tool: the text is what it was fed, the time from
        // the tool's start to its exit (the render runs meanwhile)
        restoreStream() {
          const t0 = performance.now();
          const chunks: string[] = [];
          const s = inner.restoreStream!();
          return {
            write: (chunk) => { chunks.push(chunk); return s.write(chunk); },
            async end() { await s.end(); last.ms = performance.now() - t0; last.text = chunks.join(''); },
            abort: () => s.abort(),
          };
        },
      };
      // localhostNodePorts off: with it, sync() sets route_localnet in the bench's own (the host's) namespace
      const backend = new IptablesProxier({ ...BACKEND_OPTIONS, randomFully, localhostNodePorts: false }, runner);
      return {
        backend, last,
        written: () => `${backend.lastWrittenChains} Service chains${backend.lastWasPartial ? '' : ' (full sync)'}`,
        async visible(sp) {
          const rule = ['-m', 'comment', '--comment', `${sp.name} cluster IP`, '-m', 'tcp', '-p', 'tcp', '-d', `${sp.clusterIP}/32`, '--dport', String(sp.port), '-j', serviceChain(sp.name, sp.protocol)];
          const r = await execa('ip', ['netns', 'exec', ns, `iptables-${variant}`, '-w', '5', '-t', 'nat', '-C', 'KUBE-SERVICES', ...rule], { reject: false });
          return r.exitCode === 0;
        },
        dump: () => inner.save(),
      };
    },
    raw: (ns, text) => timed(() => iptablesRunner(variant, ns).restore(text)),
  };
}

export function nftablesSubject(nft: NftModule): Subject {
  return {
    label: 'nftables',
    tool: 'nft -f -',
    bind(ns) {
      const inner = nft.runner(ns);
      const last: LastWrite = { text: '', ms: 0 };
      const backend: NftBackend = nft.create(BACKEND_OPTIONS, {
        localAddresses: () => inner.localAddresses(),
        async run(args, input) {
          if (args[0] !== '-f' || input === undefined) return inner.run(args, input);
          let out = '';
          last.ms = await timed(async () => { out = await inner.run(args, input); });
          last.text = input;
          return out;
        },
      });
      return {
        backend, last,
        written() {
          const chains = new Set([...last.text.matchAll(/^(?:add|flush) chain ip kube-proxy (\S+)$/gm)].map((m) => m[1]!).filter((c) => c.includes('/')));
          const s = backend.lastSync;
          return s ? `${chains.size} Service chains (${s.rewritten} Service port${s.rewritten === 1 ? '' : 's'} rewritten${s.full ? ', full sync' : ''})` : '?';
        },
        async visible(sp) {
          const r = await execa('ip', ['netns', 'exec', ns, 'nft', 'get', 'element', 'ip', 'kube-proxy', 'service-ips', `{ ${sp.clusterIP} . tcp . ${sp.port} }`], { reject: false });
          return r.exitCode === 0 && r.stdout.includes('goto');
        },
      };
    },
    raw: (ns, text) => timed(() => nft.runner(ns).run(['-f', '-'], text)),
  };
}
