// The desired IPVS state for a set of Service ports, as upstream's ipvs syncProxyRules builds it
// (pkg/proxy/ipvs/proxier.go, v1.28–1.33): one virtual server per ClusterIP, externalIP and
// load-balancer IP port, and per NodePort on every node address; the usable endpoints as real
// servers (weight 1, masquerading); the addresses to bind on kube-ipvs0; the ipsets' members.
import { cidrContains, ipv4ToInt } from '../node-addresses.js';
import { usable, type Endpoint, type ServicePort } from '../service-ports.js';
import { emptyEntries, ipPortEntry, type IpsetEntries, type IpsetName } from './ipsets.js';
import { resolveScheduler } from './scheduler.js';

export type Protocol = ServicePort['protocol'];
export type Forward = 'Masq' | 'Local' | 'Tunnel' | 'Route';

/** IPVS service flags (linux/ip_vs.h); the kernel adds HASHED (0x2) itself */
export const FLAG_PERSISTENT = 0x1;
export const FLAG_SCHED1 = 0x8;
export const FLAG_SCHED2 = 0x10;
export const FLAG_SCHED3 = 0x20;

export interface RealServer {
  address: string;
  port: number;
  weight: number;
  forward: Forward;
  /** connection counters, as the kernel reports them; 0 in a desired state */
  activeConn?: number;
  inActConn?: number;
}

export interface VirtualServer {
  protocol: Protocol;
  address: string;
  port: number;
  scheduler: string;
  /** FLAG_PERSISTENT for ClientIP affinity, FLAG_SCHED2 (mh-port) with mh */
  flags: number;
  /** the persistence timeout in seconds (0 unless persistent) */
  timeout: number;
  realServers: RealServer[];
}

/** upstream's VirtualServer.String(): how a virtual server is known across syncs */
export const vsKey = (vs: Pick<VirtualServer, 'address' | 'port' | 'protocol'>) => `${vs.address}:${vs.port}/${vs.protocol}`;

export interface NodeFacts {
  /** the node's IPv4 addresses on every interface but kube-ipvs0, loopback excluded (upstream's GetAllLocalAddressesExcept) */
  addresses: string[];
  /** nodePortAddresses resolved to local addresses (node-addresses.ts nodePortIPs); undefined: every node address */
  nodePortIPs?: string[];
}

export interface ModelOptions {
  nodeName?: string;
  /** the primary node IP: a loadBalancerSourceRange holding it lets the node itself reach the load balancer */
  nodeIP?: string;
  /** "" means rr */
  ipvsScheduler: string;
}

export interface IpvsState {
  virtualServers: VirtualServer[];
  /** addresses kube-ipvs0 must carry (ClusterIPs, and external/LB IPs that are not node addresses) */
  bindAddresses: string[];
  sets: IpsetEntries;
  /** LB ip:port a node outside every loadBalancerSourceRange must not reach (KUBE-IPVS-OUT-FILTER) */
  lbNoNodeAccess: Array<{ ip: string; protocol: string; port: number }>;
}

const isLoopback = (ip: string) => ip.startsWith('127.');

export function buildIpvsState(ports: ServicePort[], o: ModelOptions, node: NodeFacts): IpvsState {
  const scheduler = resolveScheduler(o.ipvsScheduler);
  const servers = new Map<string, VirtualServer>();
  const bind = new Set<string>();
  const sets = emptyEntries();
  const lbNoNodeAccess: IpvsState['lbNoNodeAccess'] = [];
  const add = (set: IpsetName, entry: string) => sets.get(set)!.add(entry);
  const nodeAddresses = new Set(node.addresses.filter((ip) => !isLoopback(ip)));
  const nodePortIPs = (node.nodePortIPs ?? [...nodeAddresses]).filter((ip) => !isLoopback(ip));
  const isLocal = (e: Endpoint) => o.nodeName !== undefined && e.nodeName === o.nodeName;

  for (const sp of ports) {
    const proto = sp.protocol.toLowerCase();
    const { cluster, local } = categorize(sp, isLocal);
    // Local policy: this node's endpoints, or all of them when it has none (kubernetes#97081: pods
    // on this node can still reach the Service; external clients' replies are lost anyway)
    const realServers = (onlyLocal: boolean) => (onlyLocal && local.length ? local : cluster)
      .map((e): RealServer => ({ address: e.ip, port: e.port, weight: 1, forward: 'Masq' }));
    const virtualServer = (address: string, port: number, onlyLocal: boolean) => {
      const vs: VirtualServer = {
        protocol: sp.protocol, address, port, scheduler,
        flags: (sp.affinitySeconds ? FLAG_PERSISTENT : 0) | (scheduler === 'mh' ? FLAG_SCHED2 : 0),
        timeout: sp.affinitySeconds,
        realServers: realServers(onlyLocal),
      };
      servers.set(vsKey(vs), vs);
    };

    // hairpin: an endpoint on this node reaching its own Service is masqueraded (all endpoints, ready or not, as upstream)
    for (const e of sp.endpoints.filter(isLocal)) add('KUBE-LOOP-BACK', ipPortEntry(e.ip, proto, e.port, e.ip));

    add('KUBE-CLUSTER-IP', ipPortEntry(sp.clusterIP, proto, sp.port));
    virtualServer(sp.clusterIP, sp.port, sp.internalLocal);
    bind.add(sp.clusterIP);

    for (const ip of sp.externalIPs) {
      add(sp.externalLocal ? 'KUBE-EXTERNAL-IP-LOCAL' : 'KUBE-EXTERNAL-IP', ipPortEntry(ip, proto, sp.port));
      virtualServer(ip, sp.port, sp.externalLocal);
      // an address some other interface has must not move onto kube-ipvs0
      if (!nodeAddresses.has(ip)) bind.add(ip);
    }

    for (const ip of sp.loadBalancerIPs) {
      const entry = ipPortEntry(ip, proto, sp.port);
      add('KUBE-LOAD-BALANCER', entry);
      if (sp.externalLocal) add('KUBE-LOAD-BALANCER-LOCAL', entry);
      if (sp.loadBalancerSourceRanges.length) {
        add('KUBE-LOAD-BALANCER-FW', entry);
        for (const cidr of sp.loadBalancerSourceRanges) add('KUBE-LOAD-BALANCER-SOURCE-CIDR', ipPortEntry(ip, proto, sp.port, canonicalCidr(cidr)));
        // the node's own requests to its load balancer loop back locally with the LB IP as source
        if (o.nodeIP && sp.loadBalancerSourceRanges.some((c) => cidrContains(c, o.nodeIP!))) add('KUBE-LOAD-BALANCER-SOURCE-IP', ipPortEntry(ip, proto, sp.port, ip));
        else lbNoNodeAccess.push({ ip, protocol: proto, port: sp.port });
      }
      virtualServer(ip, sp.port, sp.externalLocal);
      if (!nodeAddresses.has(ip)) bind.add(ip);
    }

    // upstream skips NodePorts (and the health check port after them) when it found no node address
    if (sp.nodePort && nodePortIPs.length) {
      const portSet: Record<Protocol, [IpsetName, IpsetName]> = {
        TCP: ['KUBE-NODE-PORT-TCP', 'KUBE-NODE-PORT-LOCAL-TCP'],
        UDP: ['KUBE-NODE-PORT-UDP', 'KUBE-NODE-PORT-LOCAL-UDP'],
        SCTP: ['KUBE-NODE-PORT-SCTP-HASH', 'KUBE-NODE-PORT-LOCAL-SCTP-HASH'],
      };
      // bitmap:port sets hold the port alone; SCTP's hash:ip,port set one entry per node address
      const entries = sp.protocol === 'SCTP' ? nodePortIPs.map((ip) => ipPortEntry(ip, proto, sp.nodePort)) : [String(sp.nodePort)];
      const [all, localOnly] = portSet[sp.protocol];
      for (const e of entries) {
        add(all, e);
        if (sp.externalLocal) add(localOnly, e);
      }
      for (const ip of nodePortIPs) virtualServer(ip, sp.nodePort, sp.externalLocal);
    }
    if (sp.healthCheckNodePort && (!sp.nodePort || nodePortIPs.length)) add('KUBE-HEALTH-CHECK-NODE-PORT', String(sp.healthCheckNodePort));
  }

  const bindAddresses = [...bind].sort();
  for (const ip of bindAddresses) add('KUBE-IPVS-IPS', ip);
  return { virtualServers: [...servers.values()], bindAddresses, sets, lbNoNodeAccess };
}

/**
 * upstream's CategorizeEndpoints without topology hints: cluster-wide endpoints (ready ones, else
 * serving-and-terminating ones) unless internalTrafficPolicy Local leaves no external way in, and
 * this node's endpoints chosen the same way.
 */
function categorize(sp: ServicePort, isLocal: (e: Endpoint) => boolean): { cluster: Endpoint[]; local: Endpoint[] } {
  const externallyAccessible = sp.nodePort !== 0 || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
  const cluster = !sp.internalLocal || externallyAccessible ? usable(sp.endpoints) : [];
  return { cluster, local: usable(sp.endpoints.filter(isLocal)) };
}

/** net.IPNet.String(): host bits cleared ("10.1.2.3/8" is stored as 10.0.0.0/8) */
function canonicalCidr(cidr: string): string {
  const [ip, bits = '32'] = cidr.split('/');
  const n = Number(bits);
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  const v = (ipv4ToInt(ip!) & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (v >>> s) & 255).join('.')}/${n}`;
}
