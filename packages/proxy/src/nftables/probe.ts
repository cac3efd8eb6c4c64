// What the nftables mode needs from the host, checked as upstream does (knftables.New and
// getNFTablesInterface): nft ≥ 1.0.1, Linux ≥ 5.13, and a kernel that accepts a table using every
// nf_tables feature our ruleset uses (loaded and removed again in one transaction).
import { release } from 'node:os';
import type { NftRunner } from './runner.js';

const MIN_NFT = [1, 0, 1] as const;
const MIN_KERNEL = [5, 13] as const;

function atLeast(have: number[], want: readonly number[]): boolean {
  for (let i = 0; i < want.length; i++) {
    const h = have[i] ?? 0;
    if (h !== want[i]) return h > want[i]!;
  }
  return true;
}

/** a throwaway table using numgen, fib, verdict maps on concatenations, dynamic timeout sets, dnat, masquerade and reject */
function probeRuleset(table: string): string {
  const t = `ip ${table}`;
  return [
    `add table ${t} { comment "svclab kube-proxy nftables probe" ; }`,
    `add chain ${t} nat { type nat hook prerouting priority -100 ; }`,
    `add chain ${t} post { type nat hook postrouting priority 100 ; }`,
    `add chain ${t} filter { type filter hook input priority -110 ; }`,
    `add chain ${t} target`,
    `add map ${t} vips { type ipv4_addr . inet_proto . inet_service : verdict ; }`,
    `add set ${t} affinity { type ipv4_addr ; flags dynamic,timeout ; timeout 10s ; }`,
    `add element ${t} vips { 192.0.2.1 . tcp . 80 comment "probe" : goto target }`,
    `add rule ${t} nat ip daddr . meta l4proto . th dport vmap @vips`,
    `add rule ${t} nat fib daddr type local ip daddr != 127.0.0.0/8 numgen random mod 1 vmap { 0 : goto target }`,
    `add rule ${t} target ip saddr @affinity goto target`,
    `add rule ${t} target update @affinity { ip saddr }`,
    `add rule ${t} target meta l4proto tcp dnat to 192.0.2.2:80`,
    `add rule ${t} post mark and 0x4000 == 0 return`,
    `add rule ${t} post masquerade fully-random`,
    `add rule ${t} filter ct state new fib saddr type local reject`,
    `delete table ${t}`,
  ].join('\n') + '\n';
}

export async function checkNftables(nft: NftRunner): Promise<void> {
  let version: string;
  try {
    version = await nft.run(['--version']);
  } catch (e) {
    throw new Error(`kube-proxy's nftables mode needs the nft command (nftables ≥ 1.0.1); install it (Debian/Ubuntu: apt-get install nftables). ${(e as Error).message}`);
  }
  const v = /v(\d+)\.(\d+)\.(\d+)/.exec(version)?.slice(1).map(Number);
  if (!v || !atLeast(v, MIN_NFT)) {
    // older nft parses the whole ruleset, and can crash on rules other programs wrote in other tables
    throw new Error(`kube-proxy's nftables mode needs nft ≥ ${MIN_NFT.join('.')}; this host has "${version.trim()}": upgrade the nftables package`);
  }
  const kernel = release();
  const k = /^(\d+)\.(\d+)/.exec(kernel)?.slice(1).map(Number);
  // upstream's escape hatch for distributions that backport the features
  if (!process.env.KUBE_PROXY_NFTABLES_SKIP_KERNEL_VERSION_CHECK && (!k || !atLeast(k, MIN_KERNEL))) {
    throw new Error(`kube-proxy's nftables mode needs Linux ≥ ${MIN_KERNEL.join('.')}; this kernel is ${kernel} (set KUBE_PROXY_NFTABLES_SKIP_KERNEL_VERSION_CHECK=1 to try anyway, or use mode iptables)`);
  }
  try {
    await nft.run(['-f', '-'], probeRuleset(`svclab-probe-${process.pid}`));
  } catch (e) {
    const msg = (e as Error).message;
    if (/Operation not permitted/i.test(msg)) throw new Error(`kube-proxy's nftables mode needs CAP_NET_ADMIN: run it as root. ${msg}`);
    if (/Protocol not supported|Could not receive|Netlink/i.test(msg)) {
      throw new Error(`this kernel has no nf_tables: load it (modprobe nf_tables) or build it in (CONFIG_NF_TABLES). ${msg}`);
    }
    throw new Error(
      'the kernel refused a probe table using the nf_tables features kube-proxy needs (nft_chain_nat, nft_numgen, nft_fib_ipv4, '
      + `nft_ct, nft_masq, nft_reject_ipv4, dynamic sets with timeouts, concatenated verdict maps): ${msg}`,
    );
  }
}
