// Renders the iptables-restore input for a set of Service ports, following upstream's
// syncProxyRules (pkg/proxy/iptables/proxier.go, v1.28+): filter then nat, chain declarations
// first; per Service the SVC (Cluster policy), SVL (Local policy), EXT (external traffic),
// FW (loadBalancerSourceRanges) and SEP (endpoint) chains. streamRules() writes the same rules
// in an order that can go to iptables-restore while it is being rendered (the full sync).
import { cidrContains } from '../node-addresses.js';
import { endpointString, usable, type Endpoint, type ServicePort } from '../service-ports.js';
import { endpointChain, externalChain, firewallChain, localChain, serviceChain } from './names.js';

export interface RenderOptions {
  /** this node's name: endpoints on it are local (Local traffic policies) */
  nodeName?: string;
  /** this node's primary address: a loadBalancerSourceRange holding it admits the node's own traffic */
  nodeIP?: string;
  /** the local-traffic detector: pod traffic from this CIDR to a ClusterIP is not masqueraded */
  clusterCIDR: string;
  masqueradeBit: number;
  masqueradeAll: boolean;
  /** iptables supports MASQUERADE --random-fully */
  randomFully: boolean;
  /** nodePortAddresses resolved to this node's addresses; undefined: every local address */
  nodePortIPs?: string[];
  /** localhostNodePorts (upstream's default true): NodePorts answer on 127.0.0.1, guarded by KUBE-FIREWALL */
  localhostNodePorts?: boolean;
}

export interface RenderInput {
  /** chains of ours found in the tables (or written before) that may now be stale */
  stale?: string[];
  /** partial sync: only these Service ports' SVC/SVL/EXT/FW/SEP chains are written; undefined writes all */
  changed?: ReadonlySet<string>;
  /** each Service port's rendering from earlier syncs: a partial sync re-renders only the changed ones */
  cache?: RenderCache;
}

interface ServiceRendering { chains: string[]; rules: string[]; shared: Buffers }

/** Renderings by Service port name, valid for the options (and large-cluster mode) they were made with. */
export class RenderCache {
  private key = '';
  private readonly byName = new Map<string, ServiceRendering>();
  /** the cached rendering, unless the options changed since or the port changed */
  get(name: string, key: string, changed: ReadonlySet<string> | undefined): ServiceRendering | undefined {
    if (key !== this.key) { this.byName.clear(); this.key = key; return undefined; }
    return changed && !changed.has(name) ? this.byName.get(name) : undefined;
  }
  set(name: string, r: ServiceRendering): void { this.byName.set(name, r); }
  /** drops the ports that are gone */
  retain(names: Set<string>): void { for (const n of this.byName.keys()) if (!names.has(n)) this.byName.delete(n); }
}

export interface Rendered {
  text: string;
  /** every per-Service nat chain in use, written this time or not */
  natChains: string[];
  /** how many per-Service nat chains went into this restore */
  writtenChains: number;
}

const probability = (n: number) => (1 / n).toFixed(10);

/** upstream's largeClusterEndpointsThreshold: above it, per-endpoint rules go without comments */
export const LARGE_CLUSTER_ENDPOINTS = 1000;

/** iptables-save quotes a comment only when it has spaces. */
export const comment = (c: string) => (/\s/.test(c) ? `"${c}"` : c);

export function ownedChainPrefix(chain: string): boolean {
  return /^KUBE-(SVC|SVL|EXT|FW|SEP)-/.test(chain);
}

/** Localhost NodePorts need the nodeports jump to match 127.0.0.1 too, which only "every address" does. */
export const localhostNodePortsActive = (o: RenderOptions) => (o.localhostNodePorts ?? false) && !o.nodePortIPs;

interface Buffers { filter: string[]; externalFilter: string[]; nodePorts: string[]; services: string[]; firewall: string[] }
const BUFFERS = ['filter', 'externalFilter', 'nodePorts', 'services', 'firewall'] as const;
const emptyBuffers = (): Buffers => ({ filter: [], externalFilter: [], nodePorts: [], services: [], firewall: [] });

const decl = (c: string) => `:${c} - [0:0]`;
const NAT_BASE = ['KUBE-NODEPORTS', 'KUBE-SERVICES', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING', 'KUBE-PROXY-CANARY'];

/** per-Service renderings in `ports` order, from the cache where the Service port did not change */
function* renderings(ports: ServicePort[], o: RenderOptions, input: RenderInput): Generator<{ out: ServiceRendering; write: boolean }> {
  // upstream's largeClusterMode: dropping the per-endpoint comments shrinks the tables by ~40% (and
  // the kernel blob legacy iptables rewrites on every restore by more: a comment match is 256 bytes)
  let endpoints = 0;
  for (const sp of ports) endpoints += sp.endpoints.length;
  const large = endpoints > LARGE_CLUSTER_ENDPOINTS;
  const cacheKey = `${large}|${JSON.stringify(o)}`;
  for (const sp of ports) {
    let out = input.cache?.get(sp.name, cacheKey, input.changed);
    if (!out) {
      out = renderService(sp, o, large);
      input.cache?.set(sp.name, out);
    }
    // partial sync: unchanged Services keep their chains as they are in the kernel (KEP-3453)
    yield { out, write: !input.changed || input.changed.has(sp.name) };
  }
  input.cache?.retain(new Set(ports.map((sp) => sp.name)));
}

const masqMark = (o: RenderOptions) => `0x${(1 << o.masqueradeBit).toString(16)}`;

/** the shared nat chains' rules: the dispatch from KUBE-SERVICES and KUBE-NODEPORTS, masquerading */
function sharedNatRules(b: Buffers, o: RenderOptions): string[] {
  const mark = masqMark(o);
  const nat: string[] = [...b.nodePorts, ...b.services];
  const lastRule = '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"';
  if (!o.nodePortIPs) nat.push(`-A KUBE-SERVICES ${lastRule} -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`);
  else for (const ip of o.nodePortIPs) if (!ip.startsWith('127.')) nat.push(`-A KUBE-SERVICES ${lastRule} -d ${ip} -j KUBE-NODEPORTS`);
  nat.push(`-A KUBE-MARK-MASQ -j MARK --or-mark ${mark}`);
  nat.push(`-A KUBE-POSTROUTING -m mark ! --mark ${mark}/${mark} -j RETURN`);
  nat.push(`-A KUBE-POSTROUTING -j MARK --xor-mark ${mark}`);
  nat.push(`-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${o.randomFully ? ' --random-fully' : ''}`);
  return nat;
}

/** the filter table, without its COMMIT */
function filterTable(b: Buffers, o: RenderOptions): string[] {
  const mark = masqMark(o);
  const localhost = localhostNodePortsActive(o);
  return [
    '*filter',
    ...['KUBE-NODEPORTS', 'KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', ...(localhost ? ['KUBE-FIREWALL'] : []), 'KUBE-FORWARD', 'KUBE-PROXY-FIREWALL', 'KUBE-PROXY-CANARY'].map(decl),
    ...b.filter,
    ...b.externalFilter,
    // route_localnet opens 127.0.0.0/8 to the network; this closes it again (issue 90259)
    ...(localhost ? ['-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP'] : []),
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`,
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ...b.firewall,
  ];
}

export function renderRules(ports: ServicePort[], o: RenderOptions, input: RenderInput = {}): Rendered {
  const b = emptyBuffers();
  const active: string[] = [];
  const written: string[] = [];
  const perService: string[] = [];
  for (const { out, write } of renderings(ports, o, input)) {
    for (const k of BUFFERS) for (const line of out.shared[k]) b[k].push(line);
    for (const c of out.chains) active.push(c);
    if (!write) continue;
    for (const c of out.chains) written.push(c);
    for (const r of out.rules) perService.push(r);
  }
  const nat = sharedNatRules(b, o);
  // a loop, not push(...spread): at 10k Services the spread passes ~160k arguments and overflows the stack
  for (const r of perService) nat.push(r);

  const activeSet = new Set(active);
  const stale = [...new Set(input.stale ?? [])].filter((c) => !activeSet.has(c));
  const natText = ['*nat', ...NAT_BASE.map(decl), ...written.map(decl), ...stale.map(decl), ...nat, ...stale.map((c) => `-X ${c}`), 'COMMIT'];
  return { text: [...filterTable(b, o), 'COMMIT', ...natText].join('\n') + '\n', natChains: active, writtenChains: written.length };
}

/** Where a streamed full render goes: an iptables-restore's stdin, and the lines only known at the end. */
export interface RuleSink {
  write(chunk: string): Promise<void>;
  /** lines to add at the end of `table`, before its COMMIT; `natChains`: every per-Service nat chain in use */
  tableEnd(table: 'nat' | 'filter', natChains: string[]): Promise<string[]>;
}

/** lines per chunk written while rendering: about one pipe buffer (64 kB), so the tool reads one while the next is rendered */
const STREAM_CHUNK_LINES = 800;

/**
 * A full sync's input, written to `sink` while it is rendered, so iptables-restore parses one part
 * while the next is rendered (at 10k Services the render alone is ~0.5 s). Same rules as
 * renderRules(), in another order: nat first, each Service's chains declared just before their
 * rules (a jump needs its target declared), the shared chains after them, then filter, whose
 * rules need every Service rendered. Per chain the rule order is the same.
 */
export async function streamRules(ports: ServicePort[], o: RenderOptions, cache: RenderCache | undefined, sink: RuleSink): Promise<Omit<Rendered, 'text'>> {
  const b = emptyBuffers();
  const active: string[] = [];
  let chunk: string[] = ['*nat', ...NAT_BASE.map(decl)];
  for (const { out } of renderings(ports, o, { cache })) {
    for (const k of BUFFERS) for (const line of out.shared[k]) b[k].push(line);
    for (const c of out.chains) { active.push(c); chunk.push(decl(c)); }
    for (const r of out.rules) chunk.push(r);
    if (chunk.length >= STREAM_CHUNK_LINES) {
      await sink.write(chunk.join('\n') + '\n');
      chunk = [];
    }
  }
  for (const r of sharedNatRules(b, o)) chunk.push(r);
  chunk.push(...(await sink.tableEnd('nat', active)), 'COMMIT', ...filterTable(b, o), ...(await sink.tableEnd('filter', active)), 'COMMIT');
  await sink.write(chunk.join('\n') + '\n');
  return { natChains: active, writtenChains: active.length };
}

/** One Service port: its rules in the shared chains, its own chains and their rules. */
function renderService(sp: ServicePort, o: RenderOptions, large: boolean): ServiceRendering {
  const b = emptyBuffers();
  const proto = sp.protocol.toLowerCase();
  const match = `-m ${proto} -p ${proto}`;
  const dst = `${match} -d ${sp.clusterIP} --dport ${sp.port}`;
  const name = sp.name;

  // upstream's CategorizeEndpoints: Cluster policy uses every usable endpoint, Local policy this node's
  // (Local external policy still needs the cluster's endpoints, for pod and node traffic to external IPs)
  const usesCluster = !sp.internalLocal || externallyAccessible(sp);
  const usesLocal = sp.internalLocal || (sp.externalLocal && externallyAccessible(sp));
  const clusterEps = usesCluster ? usable(sp.endpoints) : [];
  const localEps = usesLocal ? usable(sp.endpoints.filter((e) => e.nodeName === o.nodeName)) : [];
  const hasEndpoints = usable(sp.endpoints).length > 0;
  const reachable = [...clusterEps, ...localEps.filter((l) => !clusterEps.includes(l))];

  const svc = serviceChain(name, sp.protocol);
  const svl = localChain(name, sp.protocol);
  const ext = externalChain(name, sp.protocol);
  const fw = firewallChain(name, sp.protocol);
  const usesSvc = clusterEps.length > 0;
  const usesSvl = localEps.length > 0;
  const internalChain = sp.internalLocal ? svl : svc;
  const hasInternal = hasEndpoints && (!sp.internalLocal || localEps.length > 0);
  const externalPolicyChain = sp.externalLocal ? svl : svc;
  const hasExternal = hasEndpoints && (!sp.externalLocal || localEps.length > 0);
  const usesExt = hasEndpoints && externallyAccessible(sp);
  const usesFw = hasEndpoints && sp.loadBalancerIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
  const lbChain = usesFw ? fw : ext;

  const noEndpoints = comment(`${name} has no endpoints`);
  const noLocal = comment(`${name} has no local endpoints`);
  // no endpoints at all: refuse at once; a Local policy without local endpoints: drop
  const [target, why] = !hasEndpoints ? ['REJECT', noEndpoints] : ['DROP', noLocal];

  if (hasInternal) b.services.push(`-A KUBE-SERVICES -m comment --comment ${comment(`${name} cluster IP`)} ${dst} -j ${internalChain}`);
  else b.filter.push(`-A KUBE-SERVICES -m comment --comment ${why} ${dst} -j ${target}`);

  for (const ip of sp.externalIPs) {
    if (hasEndpoints) b.services.push(`-A KUBE-SERVICES -m comment --comment ${comment(`${name} external IP`)} ${match} -d ${ip} --dport ${sp.port} -j ${ext}`);
    if (!hasExternal) b.externalFilter.push(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${why} ${match} -d ${ip} --dport ${sp.port} -j ${target}`);
  }
  for (const ip of sp.loadBalancerIPs) {
    if (hasEndpoints) b.services.push(`-A KUBE-SERVICES -m comment --comment ${comment(`${name} loadbalancer IP`)} ${match} -d ${ip} --dport ${sp.port} -j ${lbChain}`);
    if (usesFw) b.firewall.push(`-A KUBE-PROXY-FIREWALL -m comment --comment ${comment(`${name} traffic not accepted by ${fw}`)} ${match} -d ${ip} --dport ${sp.port} -j DROP`);
  }
  if (!hasExternal) {
    for (const ip of sp.loadBalancerIPs) b.externalFilter.push(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${why} ${match} -d ${ip} --dport ${sp.port} -j ${target}`);
  }
  if (sp.nodePort) {
    // NodePorts are not subject to loadBalancerSourceRanges, as upstream
    if (hasEndpoints) b.nodePorts.push(`-A KUBE-NODEPORTS -m comment --comment ${comment(name)} ${match} --dport ${sp.nodePort} -j ${ext}`);
    if (!hasExternal) b.externalFilter.push(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${why} -m addrtype --dst-type LOCAL ${match} --dport ${sp.nodePort} -j ${target}`);
  }
  if (sp.healthCheckNodePort) {
    b.filter.push(`-A KUBE-NODEPORTS -m comment --comment ${comment(`${name} health check node port`)} -m tcp -p tcp --dport ${sp.healthCheckNodePort} -j ACCEPT`);
  }

  const chains: string[] = [];
  const rules: string[] = [];
  if (hasInternal) {
    const clusterIP = `-m comment --comment ${comment(`${name} cluster IP`)} ${dst}`;
    if (o.masqueradeAll) rules.push(`-A ${internalChain} ${clusterIP} -j KUBE-MARK-MASQ`);
    else if (o.clusterCIDR) rules.push(`-A ${internalChain} ${clusterIP} ! -s ${o.clusterCIDR} -j KUBE-MARK-MASQ`);
  }
  if (usesExt) {
    chains.push(ext);
    if (!sp.externalLocal) {
      // endpoints may be on another node: masquerade so replies come back through this one
      rules.push(`-A ${ext} -m comment --comment ${comment(`masquerade traffic for ${name} external destinations`)} -j KUBE-MARK-MASQ`);
    } else {
      // pods and the node itself reach external destinations as if through the load balancer
      if (o.clusterCIDR) rules.push(`-A ${ext} -m comment --comment ${comment(`pod traffic for ${name} external destinations`)} -s ${o.clusterCIDR} -j ${svc}`);
      rules.push(`-A ${ext} -m comment --comment ${comment(`masquerade LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
      rules.push(`-A ${ext} -m comment --comment ${comment(`route LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j ${svc}`);
    }
    if (hasExternal) rules.push(`-A ${ext} -j ${externalPolicyChain}`);
  }
  if (usesFw) {
    chains.push(fw);
    const lb = `-A ${fw} -m comment --comment ${comment(`${name} loadbalancer IP`)}`;
    for (const range of sp.loadBalancerSourceRanges) rules.push(`${lb} -s ${range} -j ${ext}`);
    // a VIP bound on the node loops the node's own requests back with the VIP as source
    if (o.nodeIP && sp.loadBalancerSourceRanges.some((r) => cidrContains(r, o.nodeIP!))) for (const ip of sp.loadBalancerIPs) rules.push(`${lb} -s ${ip} -j ${ext}`);
    // what falls off the end was not DNATed, so KUBE-PROXY-FIREWALL drops it in the filter table
    rules.push(`-A ${fw} -m comment --comment ${comment(`other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`)}`);
  }
  // upstream's appendServiceCommentLocked: no comment on per-endpoint rules in a large cluster
  const note = (c: string) => (large ? '' : ` -m comment --comment ${comment(c)}`);
  if (usesSvc) { chains.push(svc); rules.push(...endpointJumps(sp, svc, clusterEps, note)); }
  if (usesSvl) { chains.push(svl); rules.push(...endpointJumps(sp, svl, localEps, note)); }
  for (const e of reachable) {
    const sep = endpointChain(name, sp.protocol, endpointString(e));
    chains.push(sep);
    const remember = sp.affinitySeconds ? ` -m recent --name ${sep} --set` : '';
    // hairpin: a pod reaching itself through the Service must see the node's address, not its own
    rules.push(`-A ${sep}${note(name)} -s ${e.ip} -j KUBE-MARK-MASQ`);
    rules.push(`-A ${sep}${note(name)}${remember} ${match} -j DNAT --to-destination ${endpointString(e)}`);
  }
  return { chains, rules: sortChainsFirst(rules, chains), shared: b };
}

/** upstream's writeServiceToEndpointRules: affinity checks, then the random spread (last rule unconditional) */
function endpointJumps(sp: ServicePort, chain: string, eps: Endpoint[], note: (c: string) => string): string[] {
  const out: string[] = [];
  const seps = eps.map((e) => [e, endpointChain(sp.name, sp.protocol, endpointString(e))] as const);
  if (sp.affinitySeconds) {
    for (const [e, sep] of seps) out.push(`-A ${chain}${note(`${sp.name} -> ${endpointString(e)}`)} -m recent --name ${sep} --rcheck --seconds ${sp.affinitySeconds} --reap -j ${sep}`);
  }
  seps.forEach(([e, sep], i) => {
    const stat = i < eps.length - 1 ? ` -m statistic --mode random --probability ${probability(eps.length - i)}` : '';
    out.push(`-A ${chain}${note(`${sp.name} -> ${endpointString(e)}`)}${stat} -j ${sep}`);
  });
  return out;
}

/** Keeps rules grouped by chain in declaration order, so a chain's masquerade rule precedes its jumps. */
function sortChainsFirst(rules: string[], chains: string[]): string[] {
  const order = new Map(chains.map((c, i) => [c, i]));
  const chainOf = (r: string) => r.split(' ', 3)[1]!;
  return rules.map((r, i) => [r, order.get(chainOf(r)) ?? -1, i] as const).sort((a, b) => a[1] - b[1] || a[2] - b[2]).map(([r]) => r);
}

const externallyAccessible = (sp: ServicePort) => sp.nodePort > 0 || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;

/** The jumps from the built-in chains into ours, as upstream ensures them (iptablesJumpChains). */
export const JUMPS: Array<{ table: 'filter' | 'nat'; chain: string; rule: string }> = [
  { table: 'filter', chain: 'INPUT', rule: '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL' },
  { table: 'filter', chain: 'INPUT', rule: '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS' },
  { table: 'filter', chain: 'INPUT', rule: '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES' },
  { table: 'filter', chain: 'FORWARD', rule: '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL' },
  { table: 'filter', chain: 'FORWARD', rule: '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD' },
  { table: 'filter', chain: 'FORWARD', rule: '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES' },
  { table: 'filter', chain: 'FORWARD', rule: '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES' },
  { table: 'filter', chain: 'OUTPUT', rule: '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL' },
  { table: 'filter', chain: 'OUTPUT', rule: '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES' },
  { table: 'nat', chain: 'OUTPUT', rule: '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES' },
  { table: 'nat', chain: 'PREROUTING', rule: '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES' },
  { table: 'nat', chain: 'POSTROUTING', rule: '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING' },
];

/** upstream's iptablesKubeletJumpChains, ensured when localhost NodePorts are on */
export const FIREWALL_JUMPS: typeof JUMPS = [
  { table: 'filter', chain: 'INPUT', rule: '-j KUBE-FIREWALL' },
  { table: 'filter', chain: 'OUTPUT', rule: '-j KUBE-FIREWALL' },
];
