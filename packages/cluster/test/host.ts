// Helpers for tests that build namespaces: a clear failure without root, and a snapshot of the host's
// own network namespace (addresses, routes, iptables, nftables) to prove the lab leaves it alone.
import { execa } from 'execa';

export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('this test builds network namespaces, veths and iptables rules and needs root: run `pnpm test` as root (CI does)');
  }
}

export async function hostNetworkSnapshot(): Promise<string> {
  const run = async (cmd: string, args: string[]) => (await execa(cmd, args, { reject: false })).stdout;
  const [addr, route, ipt, nft] = await Promise.all([
    run('ip', ['-o', 'addr']), run('ip', ['route', 'show', 'table', 'all']), run('iptables-save', []), run('nft', ['list', 'ruleset']),
  ]);
  const iptables = ipt.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '')).join('\n');
  return [addr, route, iptables, nft].join('\n----\n');
}

export async function namespacesOf(cluster: string): Promise<string[]> {
  return (await execa('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`${cluster}-`));
}
