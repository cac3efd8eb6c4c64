// The iptables-restore input upstream's ipvs proxier writes (writeIptablesRules and
// createAndLinkKubeChain in pkg/proxy/ipvs/proxier.go, v1.28–1.33): a fixed set of chains whose
// rules match the ipsets, so their number does not grow with the Services; nat first, then filter.
import { hasJump, section } from '../iptables/proxier.js';
import type { JUMPS } from '../iptables/rules.js';
import { ipsetComment, ipsetType, type IpsetName } from './ipsets.js';
import type { IpvsState } from './model.js';

export interface IptablesRenderOptions {
  /** the local-traffic detector: traffic from this CIDR to a ClusterIP is not masqueraded */
  clusterCIDR: string;
  masqueradeBit: number;
  masqueradeAll: boolean;
  /** iptables supports MASQUERADE --random-fully */
  randomFully: boolean;
}

export const NAT_CHAINS = ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-NODE-PORT', 'KUBE-LOAD-BALANCER', 'KUBE-MARK-MASQ'];
export const FILTER_CHAINS = ['KUBE-FORWARD', 'KUBE-NODE-PORT', 'KUBE-PROXY-FIREWALL', 'KUBE-SOURCE-RANGES-FIREWALL', 'KUBE-IPVS-FILTER', 'KUBE-IPVS-OUT-FILTER'];

/** upstream's iptablesJumpChain, prepended to the built-in chains */
export const IPVS_JUMPS: typeof JUMPS = [
  { table: 'nat', chain: 'OUTPUT', rule: '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES' },
  { table: 'nat', chain: 'PREROUTING', rule: '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES' },
  { table: 'nat', chain: 'POSTROUTING', rule: '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING' },
  { table: 'filter', chain: 'FORWARD', rule: '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD' },
  { table: 'filter', chain: 'INPUT', rule: '-m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT' },
  { table: 'filter', chain: 'INPUT', rule: '-m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL' },
  { table: 'filter', chain: 'FORWARD', rule: '-m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL' },
  { table: 'filter', chain: 'INPUT', rule: '-m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER' },
  { table: 'filter', chain: 'OUTPUT', rule: '-m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-OUT-FILTER' },
];

/**
 * upstream's ipsetWithIptablesChain: a rule per non-empty set, in this order (the LOCAL NodePort
 * sets RETURN before the others mark for masquerade)
 */
const SET_RULES: Array<{ set: IpsetName; table: 'nat' | 'filter'; from: string; to: string; match: string; proto?: string }> = [
  { set: 'KUBE-LOOP-BACK', table: 'nat', from: 'KUBE-POSTROUTING', to: 'MASQUERADE', match: 'dst,dst,src' },
  { set: 'KUBE-LOAD-BALANCER', table: 'nat', from: 'KUBE-SERVICES', to: 'KUBE-LOAD-BALANCER', match: 'dst,dst' },
  { set: 'KUBE-LOAD-BALANCER-LOCAL', table: 'nat', from: 'KUBE-LOAD-BALANCER', to: 'RETURN', match: 'dst,dst' },
  { set: 'KUBE-NODE-PORT-LOCAL-TCP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'RETURN', match: 'dst', proto: 'tcp' },
  { set: 'KUBE-NODE-PORT-TCP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'KUBE-MARK-MASQ', match: 'dst', proto: 'tcp' },
  { set: 'KUBE-NODE-PORT-LOCAL-UDP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'RETURN', match: 'dst', proto: 'udp' },
  { set: 'KUBE-NODE-PORT-UDP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'KUBE-MARK-MASQ', match: 'dst', proto: 'udp' },
  { set: 'KUBE-NODE-PORT-LOCAL-SCTP-HASH', table: 'nat', from: 'KUBE-NODE-PORT', to: 'RETURN', match: 'dst,dst', proto: 'sctp' },
  { set: 'KUBE-NODE-PORT-SCTP-HASH', table: 'nat', from: 'KUBE-NODE-PORT', to: 'KUBE-MARK-MASQ', match: 'dst,dst', proto: 'sctp' },
  { set: 'KUBE-LOAD-BALANCER-FW', table: 'filter', from: 'KUBE-PROXY-FIREWALL', to: 'KUBE-SOURCE-RANGES-FIREWALL', match: 'dst,dst' },
  { set: 'KUBE-LOAD-BALANCER-SOURCE-CIDR', table: 'filter', from: 'KUBE-SOURCE-RANGES-FIREWALL', to: 'RETURN', match: 'dst,dst,src' },
  { set: 'KUBE-LOAD-BALANCER-SOURCE-IP', table: 'filter', from: 'KUBE-SOURCE-RANGES-FIREWALL', to: 'RETURN', match: 'dst,dst,src' },
];

/** upstream writes every set comment quoted (IPSet.getComment) */
const setComment = (set: IpsetName) => `-m comment --comment "${ipsetComment(set)}"`;
const matchSet = (set: IpsetName) => `-m set --match-set ${set} ${ipsetType(set) === 'bitmap:port' || ipsetType(set) === 'hash:ip' ? 'dst' : 'dst,dst'}`;

export function renderIpvsIptables(state: IpvsState, o: IptablesRenderOptions): string {
  // fmt.Sprintf("%#08x"): eight hex digits after 0x
  const mark = `0x${(1 << o.masqueradeBit).toString(16).padStart(8, '0')}`;
  const used = (set: IpsetName) => state.sets.get(set)!.size > 0;
  const nat: string[] = ['-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN'];
  const filter: string[] = [];
  for (const r of SET_RULES.filter((r) => used(r.set))) {
    (r.table === 'nat' ? nat : filter).push(`-A ${r.from}${r.proto ? ` -p ${r.proto}` : ''} ${setComment(r.set)} -m set --match-set ${r.set} ${r.match} -j ${r.to}`);
  }
  if (used('KUBE-CLUSTER-IP')) {
    const clusterIP = `-A KUBE-SERVICES ${setComment('KUBE-CLUSTER-IP')} -m set --match-set KUBE-CLUSTER-IP`;
    if (o.masqueradeAll) nat.push(`${clusterIP} dst,dst -j KUBE-MARK-MASQ`);
    // traffic from outside the pod network to a ClusterIP may leave the node again: masquerade it
    else if (o.clusterCIDR) nat.push(`${clusterIP} dst,dst ! -s ${o.clusterCIDR} -j KUBE-MARK-MASQ`);
    // no detector: masquerade the node's own connections, whose source is a VIP on kube-ipvs0
    else nat.push(`${clusterIP} src,dst -j KUBE-MARK-MASQ`);
  }
  // external IPs: accept traffic from off the machine (not bridged, not local) and to local addresses
  const externalIPRules = (match: string) => nat.push(
    `${match} -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT`,
    `${match} -m addrtype --dst-type LOCAL -j ACCEPT`,
  );
  if (used('KUBE-EXTERNAL-IP')) {
    const match = `-A KUBE-SERVICES ${setComment('KUBE-EXTERNAL-IP')} ${matchSet('KUBE-EXTERNAL-IP')}`;
    nat.push(`${match} -j KUBE-MARK-MASQ`);
    externalIPRules(match);
  }
  if (used('KUBE-EXTERNAL-IP-LOCAL')) externalIPRules(`-A KUBE-SERVICES ${setComment('KUBE-EXTERNAL-IP-LOCAL')} ${matchSet('KUBE-EXTERNAL-IP-LOCAL')}`);
  nat.push('-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT', '-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ');
  filter.push('-A KUBE-SOURCE-RANGES-FIREWALL -j DROP');
  // the node's own traffic to a load balancer it is not allowed to use (kubernetes#119656)
  for (const e of state.lbNoNodeAccess) filter.push(`-A KUBE-IPVS-OUT-FILTER -s ${e.ip} -m ipvs --vaddr ${e.ip} --vproto ${e.protocol} --vport ${e.port} -j DROP`);
  // accept traffic to virtual servers at the end of KUBE-SERVICES, so no later rule blocks IPVS
  for (const set of ['KUBE-CLUSTER-IP', 'KUBE-LOAD-BALANCER'] as const) if (used(set)) nat.push(`-A KUBE-SERVICES ${matchSet(set)} -j ACCEPT`);
  filter.push(
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`,
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    `-A KUBE-NODE-PORT ${setComment('KUBE-HEALTH-CHECK-NODE-PORT')} ${matchSet('KUBE-HEALTH-CHECK-NODE-PORT')} -j ACCEPT`,
    // every Service address is on kube-ipvs0, so any port on it reaches the host: only Service ports pass (kubernetes#72236)
    ...(['KUBE-LOAD-BALANCER', 'KUBE-CLUSTER-IP', 'KUBE-EXTERNAL-IP', 'KUBE-EXTERNAL-IP-LOCAL', 'KUBE-HEALTH-CHECK-NODE-PORT'] as const)
      .map((set) => `-A KUBE-IPVS-FILTER ${matchSet(set)} -j RETURN`),
    `-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW ${matchSet('KUBE-IPVS-IPS')} -j REJECT`,
  );
  nat.push(
    `-A KUBE-POSTROUTING -m mark ! --mark ${mark}/${mark} -j RETURN`,
    // clear the mark so a packet crossing the stack again is not masqueraded twice
    `-A KUBE-POSTROUTING -j MARK --xor-mark ${mark}`,
    `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${o.randomFully ? ' --random-fully' : ''}`,
    `-A KUBE-MARK-MASQ -j MARK --or-mark ${mark}`,
  );
  return [
    '*nat', ...NAT_CHAINS.map((c) => `:${c} - [0:0]`), ...nat, 'COMMIT',
    '*filter', ...FILTER_CHAINS.map((c) => `:${c} - [0:0]`), ...filter, 'COMMIT',
  ].join('\n') + '\n';
}

/**
 * iptables-restore input removing our jumps and chains (upstream's cleanupIptablesLeftovers), or ""
 * when there is nothing. A chain that rules of someone else still jump to (the iptables mode shares
 * KUBE-MARK-MASQ and KUBE-PROXY-FIREWALL, for one) is left alone, with our jumps to it, rather than
 * failing the whole restore.
 */
export function renderIpvsIptablesCleanup(saved: string): string {
  const out: string[] = [];
  for (const [table, ours] of [['nat', NAT_CHAINS], ['filter', FILTER_CHAINS]] as const) {
    const text = section(saved, table);
    const rules = text.split('\n').filter((l) => l.startsWith('-A '));
    const jumps = IPVS_JUMPS.filter((j) => j.table === table && hasJump(saved, table, j.chain, j.rule));
    const doomed = new Set(ours.filter((c) => text.includes(`\n:${c} `)));
    for (let changed = true; changed;) {
      changed = false;
      for (const c of doomed) {
        const refs = rules.filter((r) => !doomed.has(r.split(' ')[1]!) && new RegExp(` -[jg] ${c}( |$)`).test(r)).length;
        // our own jumps are among the references; more than those means another owner
        if (refs > jumps.filter((j) => j.rule.endsWith(`-j ${c}`)).length) { doomed.delete(c); changed = true; }
      }
    }
    const dropped = jumps.filter((j) => doomed.has(j.rule.slice(j.rule.lastIndexOf(' ') + 1)));
    if (!doomed.size && !dropped.length) continue;
    out.push(`*${table}`, ...dropped.map((j) => `-D ${j.chain} ${j.rule}`), ...[...doomed].map((c) => `:${c} - [0:0]`), ...[...doomed].map((c) => `-X ${c}`), 'COMMIT');
  }
  return out.length ? out.join('\n') + '\n' : '';
}
