// The iptables rules of upstream's userspace mode (pkg/proxy/userspace/proxier.go: iptablesInit,
// openOnePortal, openNodePort): traffic for a Service address is turned to this node's proxy port
// for that Service port. Container traffic (nat PREROUTING) is REDIRECTed, which sends it to the
// address of the interface it came in on, where the listener on 0.0.0.0 answers; traffic from the
// node itself (nat OUTPUT) is DNATed to the node's IP, since REDIRECT there would go to 127.0.0.1.
// Rules are in upstream's argument order, rendered for `iptables-restore --noflush`.
import { section } from '../iptables/proxier.js';
import type { ServicePort } from '../service-ports.js';

export const PORTALS_CONTAINER = 'KUBE-PORTALS-CONTAINER';
export const PORTALS_HOST = 'KUBE-PORTALS-HOST';
export const NODEPORT_CONTAINER = 'KUBE-NODEPORT-CONTAINER';
export const NODEPORT_HOST = 'KUBE-NODEPORT-HOST';
export const NODEPORT_NON_LOCAL = 'KUBE-NODEPORT-NON-LOCAL';

export type Table = 'filter' | 'nat';

export const PORTAL_CHAINS: ReadonlyArray<{ table: Table; chain: string }> = [
  { table: 'filter', chain: NODEPORT_NON_LOCAL },
  { table: 'nat', chain: PORTALS_CONTAINER },
  { table: 'nat', chain: PORTALS_HOST },
  { table: 'nat', chain: NODEPORT_CONTAINER },
  { table: 'nat', chain: NODEPORT_HOST },
];

export interface PortalJump { table: Table; chain: string; target: string; rule: string; position: 'first' | 'last' }

const CLUSTER_IPS = '-m comment --comment "handle ClusterIPs; NOTE: this must be before the NodePort rules"';
const NODE_PORTS = '-m addrtype --dst-type LOCAL -m comment --comment "handle service NodePorts; NOTE: this must be the last rule in the chain"';

/**
 * The jumps from the built-in chains (upstream's iptablesInit): portal chains first, so a Service
 * address wins over a NodePort that happens to have the same number; NodePort chains last, since
 * they match any local address.
 */
export const PORTAL_JUMPS: readonly PortalJump[] = [
  { table: 'nat', chain: 'PREROUTING', target: PORTALS_CONTAINER, rule: `${CLUSTER_IPS} -j ${PORTALS_CONTAINER}`, position: 'first' },
  { table: 'nat', chain: 'OUTPUT', target: PORTALS_HOST, rule: `${CLUSTER_IPS} -j ${PORTALS_HOST}`, position: 'first' },
  { table: 'nat', chain: 'PREROUTING', target: NODEPORT_CONTAINER, rule: `${NODE_PORTS} -j ${NODEPORT_CONTAINER}`, position: 'last' },
  { table: 'nat', chain: 'OUTPUT', target: NODEPORT_HOST, rule: `${NODE_PORTS} -j ${NODEPORT_HOST}`, position: 'last' },
  { table: 'filter', chain: 'INPUT', target: NODEPORT_NON_LOCAL, rule: `-m comment --comment "Ensure that non-local NodePort traffic can flow" -j ${NODEPORT_NON_LOCAL}`, position: 'first' },
];

/** One Service port as its portal rules need it: where its listener is, and every way in. */
export interface Portal {
  /** "ns/svc:port", the rules' comment (a Service port name never has spaces, so it needs no quotes) */
  name: string;
  protocol: 'TCP' | 'UDP';
  /** the listener's port on this node */
  proxyPort: number;
  clusterIP: string;
  port: number;
  externalIPs: string[];
  loadBalancerIPs: string[];
  /** 0: none */
  nodePort: number;
}

export function toPortal(sp: ServicePort & { protocol: 'TCP' | 'UDP' }, proxyPort: number): Portal {
  return {
    name: sp.name, protocol: sp.protocol, proxyPort, clusterIP: sp.clusterIP, port: sp.port,
    externalIPs: sp.externalIPs, loadBalancerIPs: sp.loadBalancerIPs, nodePort: sp.nodePort,
  };
}

export interface PortalOptions {
  /** where traffic from the node itself is DNATed (upstream's hostIP: the node's address) */
  hostIP: string;
  /** the addresses NodePorts answer on (nodePortAddresses); undefined: every local address */
  nodePortIPs?: string[];
}

export function renderPortals(portals: readonly Portal[], o: PortalOptions, jumps: readonly PortalJump[] = []): string {
  const rules: Record<string, string[]> = Object.fromEntries(PORTAL_CHAINS.map((c) => [c.chain, []]));
  for (const p of portals) {
    const proto = p.protocol.toLowerCase();
    // upstream's iptablesCommonPortalArgs
    const on = (dport: number, ip?: string) => `-m comment --comment ${p.name} -p ${proto} -m ${proto} --dport ${dport}${ip ? ` -d ${ip}/32` : ''}`;
    const redirect = `-j REDIRECT --to-ports ${p.proxyPort}`;
    const dnat = `-j DNAT --to-destination ${o.hostIP}:${p.proxyPort}`;
    // the cluster IP and load-balancer IPs: not external in upstream's sense
    for (const ip of [p.clusterIP, ...p.loadBalancerIPs]) {
      rules[PORTALS_CONTAINER]!.push(`${on(p.port, ip)} ${redirect}`);
      rules[PORTALS_HOST]!.push(`${on(p.port, ip)} ${dnat}`);
    }
    // an external IP: from outside (not bridged in from a local container), and from anywhere when
    // the IP is one of the node's own addresses
    for (const ip of p.externalIPs) {
      rules[PORTALS_CONTAINER]!.push(`${on(p.port, ip)} -m physdev ! --physdev-is-in ${redirect}`);
      rules[PORTALS_CONTAINER]!.push(`${on(p.port, ip)} -m addrtype --dst-type LOCAL ${redirect}`);
      rules[PORTALS_HOST]!.push(`${on(p.port, ip)} -m addrtype --dst-type LOCAL ${dnat}`);
    }
    const nodeIPs: Array<string | undefined> = o.nodePortIPs ?? [undefined];
    if (p.nodePort && nodeIPs.length) {
      for (const ip of nodeIPs) {
        rules[NODEPORT_CONTAINER]!.push(`${on(p.nodePort, ip)} ${redirect}`);
        rules[NODEPORT_HOST]!.push(`${on(p.nodePort, ip)} ${dnat}`);
      }
      // after the REDIRECT, INPUT sees the proxy port: let it through a default-deny filter
      rules[NODEPORT_NON_LOCAL]!.push(`${on(p.proxyPort)} -m state --state NEW -j ACCEPT`);
    }
  }
  const table = (t: Table) => {
    const chains = PORTAL_CHAINS.filter((c) => c.table === t).map((c) => c.chain);
    const mine = jumps.filter((j) => j.table === t);
    return [
      `*${t}`,
      // a chain line makes the chain, or empties it: every sync writes the whole of each chain
      ...chains.map((c) => `:${c} - [0:0]`),
      ...chains.flatMap((c) => rules[c]!.map((r) => `-A ${c} ${r}`)),
      ...mine.filter((j) => j.position === 'first').map((j) => `-I ${j.chain} 1 ${j.rule}`),
      ...mine.filter((j) => j.position === 'last').map((j) => `-A ${j.chain} ${j.rule}`),
      'COMMIT',
    ];
  };
  return [...table('filter'), ...table('nat')].join('\n') + '\n';
}

/** the rules in a built-in chain that jump to one of our chains, as iptables-save prints them (whatever their comment) */
export function jumpLines(saved: string, table: Table, chain: string, target: string): string[] {
  return section(saved, table).split('\n').filter((l) => l.startsWith(`-A ${chain} `) && l.endsWith(` -j ${target}`));
}

export function missingJumps(saved: string): PortalJump[] {
  return PORTAL_JUMPS.filter((j) => jumpLines(saved, j.table, j.chain, j.target).length === 0);
}

export function chainPresent(saved: string, table: Table, chain: string): boolean {
  return section(saved, table).includes(`\n:${chain} `);
}

/**
 * The iptables-restore input that removes whatever is left of userspace mode (upstream's
 * CleanupLeftovers), or '' when nothing is: every jump into our chains, then the chains.
 */
export function renderCleanup(saved: string): string {
  const out: string[] = [];
  for (const t of ['filter', 'nat'] as const) {
    const chains = PORTAL_CHAINS.filter((c) => c.table === t && chainPresent(saved, t, c.chain)).map((c) => c.chain);
    // any rule outside our chains that jumps into one of them, or the chain could not be deleted
    const ours = PORTAL_CHAINS.filter((c) => c.table === t).map((c) => c.chain);
    const jumps = section(saved, t).split('\n').filter((l) => l.startsWith('-A ') && ours.some((c) => l.endsWith(` -j ${c}`)) && !ours.includes(l.split(' ')[1]!));
    if (chains.length === 0 && jumps.length === 0) continue;
    // deleting by the saved rule text matches the rule exactly, however its matches were written
    out.push(`*${t}`, ...jumps.map((l) => `-D ${l.slice(3)}`), ...chains.map((c) => `:${c} - [0:0]`), ...chains.map((c) => `-X ${c}`), 'COMMIT');
  }
  return out.length ? out.join('\n') + '\n' : '';
}
