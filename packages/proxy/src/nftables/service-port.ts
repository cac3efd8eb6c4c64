// One Service port's share of the table, as upstream's syncProxyRules writes it (v1.31–v1.33):
// its chains (service-/local-/external-/firewall-/endpoint-), affinity sets, rules, and the map
// elements that dispatch to them. Endpoint selection follows upstream's CategorizeEndpoints.
import { cidrContains } from '../node-addresses.js';
import { isCIDRv4, isIPv4, usable, type Endpoint, type ServicePort } from '../service-ports.js';
import type { Element } from './elements.js';
import { MARK_MASQ, REJECT_CHAIN, TABLE } from './layout.js';
import type { CachedPortNames, EndpointNames, NameCache } from './names.js';

export interface PlanOptions {
  nodeName?: string;
  /** the local-traffic detector; "" when there is none */
  clusterCIDR: string;
  masqueradeAll: boolean;
  /** this node's IPv4 address: a loadBalancerSourceRanges entry holding it also admits the LB IPs as sources */
  nodeIP?: string;
}

const rule = (chain: string, r: string) => `add rule ${TABLE} ${chain} ${r}`;

// This is the IPv4 table (upstream runs a second proxier for IPv6); anything else, IPv6 or malformed,
// is left out rather than allowed to fail the whole transaction.

/** (A class rather than closures: a full sync makes one per Service port, tens of thousands.) */
export class PortPlan {
  readonly name: string;
  /** the chains this port owns, in the order they are created */
  readonly chains: string[] = [];
  readonly affinitySets: string[] = [];
  readonly elements: Element[] = [];

  private readonly proto: string;
  private readonly names: CachedPortNames;
  private readonly cluster: Endpoint[];
  private readonly local: Endpoint[];
  /** every endpoint some chain jumps to, in the model's "ip:port" order */
  private readonly eps = new Map<Endpoint, EndpointNames>();
  private readonly hasInternal: boolean;
  private readonly hasExternal: boolean;
  private readonly usesExternalChain: boolean;
  private readonly sourceRanges: string[];
  private readonly externalIPs: string[];
  private readonly lbIPs: string[];

  constructor(private readonly sp: ServicePort, private readonly o: PlanOptions, names: NameCache) {
    this.name = sp.name;
    this.proto = sp.protocol.toLowerCase();
    const n = (this.names = names.port(sp));
    this.externalIPs = sp.externalIPs.filter(isIPv4);
    this.lbIPs = sp.loadBalancerIPs.filter(isIPv4);
    const externallyAccessible = sp.nodePort !== 0 || this.externalIPs.length > 0 || this.lbIPs.length > 0;
    // Cluster endpoints serve internal traffic under Cluster policy, and any external traffic:
    // pods and the node itself are short-circuited to them even under Local policy.
    const usesCluster = !sp.internalLocal || externallyAccessible;
    const usesLocal = sp.internalLocal || (sp.externalLocal && externallyAccessible);
    const all = usable(sp.endpoints);
    const hasEndpoints = all.length > 0;
    this.cluster = usesCluster ? all : [];
    this.local = usesLocal && o.nodeName !== undefined ? usable(sp.endpoints.filter((e) => e.nodeName === o.nodeName)) : [];
    const picked = this.local.length === 0 ? undefined : new Set([...this.cluster, ...this.local]);
    for (const e of picked ? sp.endpoints.filter((x) => picked.has(x)) : this.cluster) this.eps.set(e, n.endpoint(e));

    this.hasInternal = hasEndpoints && (!sp.internalLocal || this.local.length > 0);
    this.hasExternal = hasEndpoints && (!sp.externalLocal || this.local.length > 0);
    // the external chain exists even without local endpoints: it still short-circuits pod and node traffic
    this.usesExternalChain = hasEndpoints && externallyAccessible;
    this.sourceRanges = sp.loadBalancerSourceRanges.filter(isCIDRv4);
    const usesFirewall = this.lbIPs.length > 0 && this.sourceRanges.length > 0;

    for (const e of this.eps.values()) {
      this.chains.push(e.chain);
      if (sp.affinitySeconds) this.affinitySets.push(e.affinity);
    }
    if (this.cluster.length) this.chains.push(n.service);
    if (this.local.length) this.chains.push(n.local);
    if (this.usesExternalChain) this.chains.push(n.external);
    if (usesFirewall) this.chains.push(n.firewall);

    // no endpoints at all: reject; endpoints but none this traffic may use (Local policy): drop
    const noEndpointVerdict = hasEndpoints ? 'drop' : `goto ${REJECT_CHAIN}`;
    const el = this.elements;
    el.push({ container: 'cluster-ips', key: sp.clusterIP });
    el.push(this.hasInternal
      ? { container: 'service-ips', key: this.vip(sp.clusterIP), value: `goto ${sp.internalLocal ? n.local : n.service}` }
      : this.none(sp.clusterIP, noEndpointVerdict));
    for (const ip of this.externalIPs) {
      if (hasEndpoints) el.push({ container: 'service-ips', key: this.vip(ip), value: `goto ${n.external}` });
      if (!this.hasExternal) el.push(this.none(ip, noEndpointVerdict));
    }
    for (const ip of this.lbIPs) {
      if (hasEndpoints) el.push({ container: 'service-ips', key: this.vip(ip), value: `goto ${n.external}` });
      if (usesFirewall) el.push({ container: 'firewall-ips', key: this.vip(ip), value: `goto ${n.firewall}` });
    }
    if (!this.hasExternal) for (const ip of this.lbIPs) el.push(this.none(ip, noEndpointVerdict));
    if (sp.nodePort) {
      // NodePorts are not subject to loadBalancerSourceRanges (upstream: "for better or for worse")
      const key = `${this.proto} . ${sp.nodePort}`;
      if (hasEndpoints) el.push({ container: 'service-nodeports', key, value: `goto ${n.external}` });
      if (!this.hasExternal) el.push({ container: 'no-endpoint-nodeports', key, value: noEndpointVerdict, comment: sp.name });
    }
  }

  /** appends the "add set …" and "add rule …" lines, written only when the port is (re)written */
  writeBody(out: string[]): void {
    const { sp, o, names: n, proto } = this;
    if (this.hasInternal) {
      // traffic to the ClusterIP from outside the pod network may leave the node: masquerade it
      const internal = sp.internalLocal ? n.local : n.service;
      const vip = `ip daddr ${sp.clusterIP} ${proto} dport ${sp.port}`;
      if (o.masqueradeAll) out.push(rule(internal, `${vip} jump ${MARK_MASQ}`));
      else if (o.clusterCIDR) out.push(rule(internal, `${vip} ip saddr != ${o.clusterCIDR} jump ${MARK_MASQ}`));
    }
    if (this.usesExternalChain) {
      if (!sp.externalLocal) {
        // endpoints may be on other nodes: masquerade so replies come back through this one
        out.push(rule(n.external, `jump ${MARK_MASQ}`));
      } else {
        // pods and the node itself reach external IPs as if from outside and back in: Cluster policy
        if (o.clusterCIDR) out.push(rule(n.external, `ip saddr ${o.clusterCIDR} goto ${n.service} comment "short-circuit pod traffic"`));
        out.push(
          rule(n.external, `fib saddr type local jump ${MARK_MASQ} comment "masquerade local traffic"`),
          rule(n.external, `fib saddr type local goto ${n.service} comment "short-circuit local traffic"`),
        );
      }
      if (this.hasExternal) out.push(rule(n.external, `goto ${sp.externalLocal ? n.local : n.service}`));
    }
    if (this.chains.includes(n.firewall)) {
      const sources = [...this.sourceRanges];
      // an LB VIP bound on the node makes node-to-VIP traffic loop back with the VIP as source
      if (o.nodeIP && this.sourceRanges.some((r) => cidrContains(r, o.nodeIP!))) sources.push(...this.lbIPs);
      out.push(rule(n.firewall, `ip saddr != { ${sources.join(' , ')} } drop`));
    }
    for (const s of this.affinitySets) out.push(`add set ${TABLE} ${s} { type ipv4_addr ; flags dynamic,timeout ; timeout ${sp.affinitySeconds}s ; }`);
    if (this.cluster.length) this.dispatch(out, n.service, this.cluster);
    if (this.local.length) this.dispatch(out, n.local, this.local);
    for (const [e, en] of this.eps) {
      // hairpin: an endpoint reaching itself through the Service must see the node as the source
      // (one template per line: this loop runs for every endpoint of a full sync)
      out.push(`add rule ${TABLE} ${en.chain} ip saddr ${e.ip} jump ${MARK_MASQ}`);
      if (sp.affinitySeconds) out.push(rule(en.chain, `update @${en.affinity} { ip saddr }`));
      out.push(`add rule ${TABLE} ${en.chain} meta l4proto ${proto} dnat to ${e.ip}:${e.port}`);
    }
  }

  /** a destination key of service-ips and friends */
  private vip(ip: string): string { return `${ip} . ${this.proto} . ${this.sp.port}`; }

  private none(ip: string, verdict: string): Element {
    return { container: 'no-endpoint-services', key: this.vip(ip), value: verdict, comment: this.sp.name };
  }

  private dispatch(out: string[], chain: string, to: Endpoint[]): void {
    // a client remembered in an endpoint's affinity set goes back to it, before the random pick
    if (this.sp.affinitySeconds) for (const e of to) out.push(rule(chain, `ip saddr @${this.eps.get(e)!.affinity} goto ${this.eps.get(e)!.chain}`));
    let vmap = '';
    for (let i = 0; i < to.length; i++) vmap += `${i ? ' , ' : ''}${i} : goto ${this.eps.get(to[i]!)!.chain}`;
    out.push(rule(chain, `numgen random mod ${to.length} vmap { ${vmap} }`));
  }
}
