// The ipsets upstream's ipvs proxier keeps (pkg/proxy/ipvs/ipset.go, ipsetInfo), their entries in
// upstream's string form (ipset.Entry.String), and the `ipset restore` input that moves the kernel's
// sets to the desired entries: create every set (-exist), delete what is stale, add what is missing.

export type SetType = 'hash:ip' | 'hash:ip,port' | 'hash:ip,port,ip' | 'hash:ip,port,net' | 'bitmap:port';

/** in upstream's ipsetInfo order; the comment is what the iptables rules matching the set carry */
export const IPSETS = [
  { name: 'KUBE-LOOP-BACK', type: 'hash:ip,port,ip', comment: 'Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose' },
  { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', comment: 'Kubernetes service cluster ip + port for masquerade purpose' },
  { name: 'KUBE-EXTERNAL-IP', type: 'hash:ip,port', comment: 'Kubernetes service external ip + port for masquerade and filter purpose' },
  { name: 'KUBE-EXTERNAL-IP-LOCAL', type: 'hash:ip,port', comment: 'Kubernetes service external ip + port with externalTrafficPolicy=local' },
  { name: 'KUBE-LOAD-BALANCER', type: 'hash:ip,port', comment: 'Kubernetes service lb portal' },
  { name: 'KUBE-LOAD-BALANCER-FW', type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port for load balancer with sourceRange' },
  { name: 'KUBE-LOAD-BALANCER-LOCAL', type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port with externalTrafficPolicy=local' },
  { name: 'KUBE-LOAD-BALANCER-SOURCE-IP', type: 'hash:ip,port,ip', comment: 'Kubernetes service load balancer ip + port + source IP for packet filter purpose' },
  { name: 'KUBE-LOAD-BALANCER-SOURCE-CIDR', type: 'hash:ip,port,net', comment: 'Kubernetes service load balancer ip + port + source cidr for packet filter purpose' },
  { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port for masquerade purpose' },
  { name: 'KUBE-NODE-PORT-LOCAL-TCP', type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port with externalTrafficPolicy=local' },
  { name: 'KUBE-NODE-PORT-UDP', type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port for masquerade purpose' },
  { name: 'KUBE-NODE-PORT-LOCAL-UDP', type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port with externalTrafficPolicy=local' },
  { name: 'KUBE-NODE-PORT-SCTP-HASH', type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'" },
  { name: 'KUBE-NODE-PORT-LOCAL-SCTP-HASH', type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'" },
  { name: 'KUBE-HEALTH-CHECK-NODE-PORT', type: 'bitmap:port', comment: 'Kubernetes health check node port' },
  { name: 'KUBE-IPVS-IPS', type: 'hash:ip', comment: 'Addresses on the ipvs interface' },
] as const satisfies ReadonlyArray<{ name: string; type: SetType; comment: string }>;

export type IpsetName = (typeof IPSETS)[number]['name'];
export type IpsetEntries = Map<IpsetName, Set<string>>;

const byName = new Map<string, (typeof IPSETS)[number]>(IPSETS.map((s) => [s.name, s]));
export const isOurSet = (name: string): name is IpsetName => byName.has(name);
export const ipsetComment = (name: IpsetName) => byName.get(name)!.comment;
export const ipsetType = (name: IpsetName) => byName.get(name)!.type;

export const emptyEntries = (): IpsetEntries => new Map(IPSETS.map((s) => [s.name, new Set<string>()]));

/** upstream's Entry.String(): "ip", "ip,proto:port", "ip,proto:port,ip2|net", or just "port" */
export const ipPortEntry = (ip: string, proto: string, port: number, third?: string) =>
  `${ip},${proto.toLowerCase()}:${port}${third ? `,${third}` : ''}`;

/** upstream's util/ipset createSet arguments (hashsize and maxelem defaults, the whole port range) */
function createLine(name: IpsetName): string {
  const type = ipsetType(name);
  return type === 'bitmap:port'
    ? `create ${name} ${type} range 0-65535`
    : `create ${name} ${type} family inet hashsize 1024 maxelem 65536`;
}

/** ipset prints a /32 member of a hash:…,net set as the bare address */
const normalize = (entry: string) => entry.replace(/\/32$/, '');

/** our sets' members from `ipset save` (other programs' sets are left out) */
export function parseIpsetSave(saved: string): IpsetEntries {
  const sets = new Map<IpsetName, Set<string>>();
  for (const m of saved.matchAll(/^(create|add) (\S+)(?: (\S+))?/gm)) {
    const name = m[2]!;
    if (!isOurSet(name)) continue;
    const members = sets.get(name) ?? new Set<string>();
    sets.set(name, members);
    if (m[1] === 'add') members.add(normalize(m[3]!));
  }
  return sets;
}

const sorted = (s: Iterable<string>) => [...s].sort();

/** `ipset restore -exist` input: every set created, then per set the stale members deleted and the missing added */
export function renderIpsetRestore(desired: IpsetEntries, current: IpsetEntries = new Map()): string {
  const lines = IPSETS.map((s) => createLine(s.name));
  for (const { name } of IPSETS) {
    const want = new Set(sorted(desired.get(name) ?? []).map(normalize));
    const have = current.get(name) ?? new Set<string>();
    lines.push(...sorted(have).filter((e) => !want.has(e)).map((e) => `del ${name} ${e}`));
    lines.push(...[...want].filter((e) => !have.has(e)).map((e) => `add ${name} ${e}`));
  }
  return lines.join('\n') + '\n';
}
