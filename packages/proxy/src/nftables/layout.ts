// The fixed part of table "ip kube-proxy", as upstream kube-proxy v1.31–v1.33 lays it out
// (pkg/proxy/nftables/proxier.go setupNFTables): base chains on the netfilter hooks, the chains they
// jump to, and the verdict maps through which every Service is dispatched. Written on full syncs only.

export const TABLE = 'ip kube-proxy';

/** maps and sets whose elements the Service ports contribute (diffed on incremental syncs) */
export type Container = 'cluster-ips' | 'service-ips' | 'service-nodeports' | 'no-endpoint-services' | 'no-endpoint-nodeports' | 'firewall-ips';
export const CONTAINERS: ReadonlyArray<{ name: Container; kind: 'set' | 'map' }> = [
  { name: 'cluster-ips', kind: 'set' },
  { name: 'service-ips', kind: 'map' },
  { name: 'firewall-ips', kind: 'map' },
  { name: 'no-endpoint-services', kind: 'map' },
  { name: 'no-endpoint-nodeports', kind: 'map' },
  { name: 'service-nodeports', kind: 'map' },
];

export const MARK_MASQ = 'mark-for-masquerade';
export const REJECT_CHAIN = 'reject-chain';

// Filter chains run at dstnat-10 so they see the address the client used, before DNAT; the one
// exception, filter-output-post-dnat (dstnat+10), catches ClusterIP traffic DNAT left untouched.
const BASE_CHAINS = [
  { name: 'filter-prerouting', type: 'filter', hook: 'prerouting', priority: -110 },
  { name: 'filter-input', type: 'filter', hook: 'input', priority: -110 },
  { name: 'filter-forward', type: 'filter', hook: 'forward', priority: -110 },
  { name: 'filter-output', type: 'filter', hook: 'output', priority: -110 },
  { name: 'filter-output-post-dnat', type: 'filter', hook: 'output', priority: -90 },
  { name: 'nat-prerouting', type: 'nat', hook: 'prerouting', priority: -100 },
  { name: 'nat-output', type: 'nat', hook: 'output', priority: -100 },
  { name: 'nat-postrouting', type: 'nat', hook: 'postrouting', priority: 100 },
] as const;

// "reject" is only valid from input/forward/output before Linux 5.9, hence the endpoint checks
// hang off those hooks and not prerouting.
const JUMPS: ReadonlyArray<{ to: string; from: string; match: string }> = [
  { to: 'nodeport-endpoints-check', from: 'filter-input', match: 'ct state new ' },
  { to: 'service-endpoints-check', from: 'filter-input', match: 'ct state new ' },
  { to: 'service-endpoints-check', from: 'filter-forward', match: 'ct state new ' },
  { to: 'service-endpoints-check', from: 'filter-output', match: 'ct state new ' },
  { to: 'firewall-check', from: 'filter-prerouting', match: 'ct state new ' },
  { to: 'firewall-check', from: 'filter-output', match: 'ct state new ' },
  { to: 'services', from: 'nat-output', match: '' },
  { to: 'services', from: 'nat-prerouting', match: '' },
  { to: 'masquerading', from: 'nat-postrouting', match: '' },
  { to: 'cluster-ips-check', from: 'filter-forward', match: 'ct state new ' },
  { to: 'cluster-ips-check', from: 'filter-output-post-dnat', match: 'ct state new ' },
];

const VERDICT_MAPS: Record<Exclude<Container, 'cluster-ips'>, { key: string; comment: string }> = {
  'no-endpoint-services': { key: 'ipv4_addr . inet_proto . inet_service', comment: 'vmap to drop or reject packets to services with no endpoints' },
  'no-endpoint-nodeports': { key: 'inet_proto . inet_service', comment: 'vmap to drop or reject packets to service nodeports with no endpoints' },
  'firewall-ips': { key: 'ipv4_addr . inet_proto . inet_service', comment: 'destinations that are subject to LoadBalancerSourceRanges' },
  'service-ips': { key: 'ipv4_addr . inet_proto . inet_service', comment: 'ClusterIP, ExternalIP and LoadBalancer IP traffic' },
  'service-nodeports': { key: 'inet_proto . inet_service', comment: 'NodePort traffic' },
};

export interface SetupOptions {
  /** "0x4000" for masqueradeBit 14 */
  mark: string;
  /** the addresses NodePorts answer on; undefined: every local address but 127/8 */
  nodePortIPs?: string[];
  /**
   * Upstream deletes and re-creates the base chains once per process, so a table left by an older
   * kube-proxy with other hook priorities is replaced instead of failing the transaction.
   */
  recreateBaseChains: boolean;
}

const rule = (chain: string, r: string) => `add rule ${TABLE} ${chain} ${r}`;
const map = (name: keyof typeof VERDICT_MAPS) =>
  `add map ${TABLE} ${name} { type ${VERDICT_MAPS[name].key} : verdict ; comment "${VERDICT_MAPS[name].comment}" ; }`;

/**
 * The full-sync preamble. "flush table" empties every chain (ours and any an older kube-proxy left),
 * which is what upstream's per-chain flushes amount to, but keeps sets: affinity survives a full
 * sync. Map elements are flushed explicitly and re-added after this.
 */
export function renderSetup(o: SetupOptions): string[] {
  const out = [`add table ${TABLE} { comment "rules for kube-proxy" ; }`, `flush table ${TABLE}`];
  if (o.recreateBaseChains) {
    for (const c of BASE_CHAINS) out.push(`add chain ${TABLE} ${c.name}`, `delete chain ${TABLE} ${c.name}`);
  }
  for (const c of BASE_CHAINS) out.push(`add chain ${TABLE} ${c.name} { type ${c.type} hook ${c.hook} priority ${c.priority} ; }`);
  const created = new Set<string>();
  const ensure = (chain: string) => {
    if (!created.has(chain)) out.push(`add chain ${TABLE} ${chain}`);
    created.add(chain);
  };
  for (const j of JUMPS) {
    ensure(j.to);
    out.push(rule(j.from, `${j.match}jump ${j.to}`));
  }
  for (const c of ['services', 'cluster-ips-check', 'masquerading', MARK_MASQ]) ensure(c);

  out.push(
    rule(MARK_MASQ, `mark set mark or ${o.mark}`),
    rule('masquerading', `mark and ${o.mark} == 0 return`),
    rule('masquerading', `mark set mark xor ${o.mark}`),
    rule('masquerading', 'masquerade fully-random'),
    `add set ${TABLE} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`,
    rule('cluster-ips-check', 'ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"'),
    // (upstream's "drop traffic to unallocated ClusterIPs" rule needs the ServiceCIDRs, which we are not given)
  );

  // nodeport-ips exists only when nodePortAddresses restricts NodePorts; "add" first so that
  // "delete" cannot fail on a set that is already gone
  out.push(`add set ${TABLE} nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`);
  const nodePortDst = o.nodePortIPs ? 'ip daddr @nodeport-ips' : 'ip daddr != 127.0.0.0/8';
  if (!o.nodePortIPs) {
    out.push(`delete set ${TABLE} nodeport-ips`);
  } else {
    out.push(`flush set ${TABLE} nodeport-ips`);
    // localhost NodePorts are not supported upstream either
    for (const ip of o.nodePortIPs.filter((a) => !a.startsWith('127.'))) out.push(`add element ${TABLE} nodeport-ips { ${ip} }`);
  }

  out.push(
    map('no-endpoint-services'),
    map('no-endpoint-nodeports'),
    `add chain ${TABLE} ${REJECT_CHAIN} { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`,
    rule(REJECT_CHAIN, 'reject'),
    rule('service-endpoints-check', 'ip daddr . meta l4proto . th dport vmap @no-endpoint-services'),
    rule('nodeport-endpoints-check', `${nodePortDst} meta l4proto . th dport vmap @no-endpoint-nodeports`),
    map('firewall-ips'),
    rule('firewall-check', 'ip daddr . meta l4proto . th dport vmap @firewall-ips'),
    map('service-ips'),
    map('service-nodeports'),
    rule('services', 'ip daddr . meta l4proto . th dport vmap @service-ips'),
    rule('services', `${o.nodePortIPs ? '' : 'fib daddr type local '}${nodePortDst} meta l4proto . th dport vmap @service-nodeports`),
  );
  for (const c of CONTAINERS) out.push(`flush ${c.kind} ${TABLE} ${c.name}`);
  return out;
}
