// Running nft: on the host, or inside a network namespace (tests, bench) by prefixing
// `ip netns exec <ns>`, as the iptables runner does.
import { execa } from 'execa';
import { localIPv4Addresses } from '../node-addresses.js';

export interface NftRunner {
  /** runs `nft <args>` with `input` on stdin; resolves to stdout, rejects with nft's own error text */
  run(args: string[], input?: string): Promise<string>;
  /** the IPv4 addresses of the namespace nft works in (nodePortAddresses selects NodePort addresses among them) */
  localAddresses(): Promise<string[]>;
}

export function nftRunner(netns?: string): NftRunner {
  return {
    async run(args, input) {
      const r = netns
        ? await execa('ip', ['netns', 'exec', netns, 'nft', ...args], { input, reject: false })
        : await execa('nft', args, { input, reject: false });
      if (r.failed) {
        // nft quotes each offending line of the input; a few are enough to see what went wrong
        const why = (r.stderr.trim() || (r.message ?? `exit code ${r.exitCode}`)).slice(0, 4000);
        throw new Error(`nft ${args.join(' ')}${netns ? ` (netns ${netns})` : ''} failed: ${why}`);
      }
      return r.stdout;
    },
    async localAddresses() {
      if (!netns) return localIPv4Addresses();
      const r = await execa('ip', ['-n', netns, '-4', '-o', 'addr', 'show']);
      return [...r.stdout.matchAll(/\sinet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!);
    },
  };
}
