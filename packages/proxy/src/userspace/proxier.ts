// kube-proxy's userspace mode (upstream's pkg/proxy/userspace, removed in v1.26): kube-proxy itself
// is the load balancer. Each Service port gets a listener on this node; iptables turns the Service's
// traffic to it (portals.ts); the listener picks an endpoint round-robin (or by client affinity) and
// relays, retrying another endpoint when one does not answer.
import { execa } from 'execa';
import type { Backend, BackendOptions } from '../backend.js';
import { deleteFlows } from '../conntrack.js';
import type { IptablesRunner } from '../iptables/proxier.js';
import { iptablesRunner } from '../iptables/runner.js';
import { localIPv4Addresses, nodePortIPs } from '../node-addresses.js';
import { endpointString, usable, type ServicePort } from '../service-ports.js';
import { PortClaims, type PortClaim } from './port-claims.js';
import { chainPresent, missingJumps, PORTAL_CHAINS, renderCleanup, renderPortals, toPortal, type Portal } from './portals.js';
import { RoundRobin } from './round-robin.js';
import { TcpProxy, type TcpProxyStats } from './tcp-proxy.js';
import { UDP_IDLE_TIMEOUT_MS, UdpProxy, type UdpProxyStats } from './udp-proxy.js';

export interface UserspaceTuning {
  log?: (m: string) => void;
  /** upstream's --udp-timeout */
  udpIdleTimeoutMs?: number;
}

/** upstream's default --bind-address: listeners on every address, which is what lets REDIRECT reach them */
const LISTEN_IP = '0.0.0.0';

interface Listener {
  balancer: RoundRobin;
  proxy: TcpProxy | UdpProxy;
  sp: ServicePort;
}

const listenerKey = (sp: ServicePort) => `${sp.name}/${sp.protocol}`;

/**
 * Where the node's own Service traffic is DNATed: the Node's InternalIP, or before the Node is known
 * (or without one), the source address of the default route, as upstream's ChooseHostInterface.
 */
async function hostIP(nodeIPs: string[]): Promise<string> {
  if (nodeIPs[0]) return nodeIPs[0];
  const r = await execa('ip', ['-j', '-4', 'route', 'get', '1.1.1.1'], { reject: false });
  const src = r.exitCode === 0 ? (JSON.parse(r.stdout) as Array<{ prefsrc?: string }>)[0]?.prefsrc : undefined;
  if (!src) throw new Error('userspace mode DNATs the node\'s own Service traffic to the node\'s IP, and knows none: no Node InternalIP yet and no default route');
  return src;
}

const defaultLog = (m: string) => process.stderr.write(`${new Date().toISOString()} kube-proxy (userspace): ${m}\n`);

export class UserspaceProxier implements Backend {
  readonly mode = 'userspace' as const;
  private readonly listeners = new Map<string, Listener>();
  private readonly claims = new PortClaims();
  /** TCP listeners of removed Service ports whose connections still run */
  private readonly retired = new Set<TcpProxy>();
  private readonly log: (m: string) => void;
  private readonly udpIdleTimeoutMs: number;

  constructor(private readonly opts: BackendOptions, private readonly ipt: IptablesRunner = iptablesRunner('nft'), tuning: UserspaceTuning = {}) {
    this.log = tuning.log ?? defaultLog;
    this.udpIdleTimeoutMs = tuning.udpIdleTimeoutMs ?? UDP_IDLE_TIMEOUT_MS;
  }

  /** tries every iptables feature the portals use, in a scratch chain, so a missing one is named up front */
  async check(): Promise<void> {
    const probe = 'KUBE-PORTALS-PROBE';
    try {
      await this.ipt.restore([
        '*filter', `:${probe} - [0:0]`, `-A ${probe} -p tcp -m tcp --dport 1 -m state --state NEW -j ACCEPT`, 'COMMIT',
        '*nat', `:${probe} - [0:0]`,
        `-A ${probe} -m comment --comment probe -p tcp -m tcp --dport 1 -d 127.0.0.2/32 -m physdev ! --physdev-is-in -j REDIRECT --to-ports 1`,
        `-A ${probe} -p udp -m udp --dport 1 -m addrtype --dst-type LOCAL -j DNAT --to-destination 127.0.0.1:1`, 'COMMIT', '',
      ].join('\n'));
    } catch (e) {
      throw new Error(`userspace mode needs iptables REDIRECT and DNAT in the nat table (kernel: nf_nat, xt_REDIRECT, xt_addrtype, xt_physdev, xt_state; Debian package: iptables), and iptables-restore failed: ${(e as Error).message.split('\n').slice(-1)[0]}`);
    } finally {
      await this.ipt.restore(['*filter', `:${probe} - [0:0]`, `-X ${probe}`, 'COMMIT', '*nat', `:${probe} - [0:0]`, `-X ${probe}`, 'COMMIT', ''].join('\n')).catch(() => undefined);
    }
  }

  async sync(ports: ServicePort[]): Promise<void> {
    const host = await hostIP(this.opts.nodeIPs);
    const now = Date.now();
    // upstream's userspace proxy had TCP and UDP sockets only
    const wanted = ports.filter((p): p is ServicePort & { protocol: 'TCP' | 'UDP' } => p.protocol === 'TCP' || p.protocol === 'UDP');
    const keys = new Set(wanted.map(listenerKey));
    for (const sp of wanted) {
      // a Service port keeps its listener (and proxy port) across syncs: only endpoints, affinity and
      // addresses change in place, so established connections and the rules pointing at it stay
      const l = this.listeners.get(listenerKey(sp)) ?? await this.open(sp);
      l.sp = sp;
      l.balancer.setAffinity(sp.affinitySeconds);
      l.balancer.setEndpoints(usable(sp.endpoints).map(endpointString));
      l.balancer.cleanupStale(now);
    }

    const needLocal = this.opts.nodePortAddresses.length > 0 || wanted.some((sp) => sp.externalIPs.length || sp.loadBalancerIPs.length);
    const local = needLocal ? await localIPv4Addresses() : [];
    const npIPs = await nodePortIPs(this.opts.nodePortAddresses, local);
    const refused = await this.claimPorts(wanted, local, npIPs);
    const portals: Portal[] = wanted.map((sp) => ({
      ...toPortal(sp, this.listeners.get(listenerKey(sp))!.proxy.port),
      // as upstream, a port that can't be held gets no rules: the Service stays reachable its other ways
      externalIPs: sp.externalIPs.filter((ip) => !refused.has(`${sp.name} ${ip}`)),
      loadBalancerIPs: sp.loadBalancerIPs.filter((ip) => !refused.has(`${sp.name} ${ip}`)),
      nodePort: refused.has(`${sp.name} nodePort`) ? 0 : sp.nodePort,
    }));
    for (const t of this.retired) if (t.openSockets === 0) this.retired.delete(t);
    const saved = await this.ipt.save();
    await this.ipt.restore(renderPortals(portals, { hostIP: host, nodePortIPs: npIPs }, missingJumps(saved)));

    // Service ports that went away: their rules are gone now, so nothing new can reach the listeners
    for (const [key, l] of this.listeners) {
      if (keys.has(key)) continue;
      this.listeners.delete(key);
      if (l.proxy instanceof TcpProxy) {
        l.proxy.stop(); // upstream: established TCP connections carry on
        this.retired.add(l.proxy);
      } else {
        await l.proxy.close();
        // the REDIRECT's flows still point at the closed port: a Service made again at once would
        // lose those clients' datagrams until they time out (upstream's ClearEntriesForIP)
        await deleteFlows([l.sp.clusterIP, ...l.sp.externalIPs, ...l.sp.loadBalancerIPs].map((ip) => ['-D', '--orig-dst', ip, '-p', 'udp']), this.log);
      }
    }
  }

  private async open(sp: ServicePort & { protocol: 'TCP' | 'UDP' }): Promise<Listener> {
    const balancer = new RoundRobin(sp.affinitySeconds);
    const pick = (clientIP: string, reset: boolean) => balancer.pick(clientIP, Date.now(), reset);
    const proxy = sp.protocol === 'TCP'
      ? await TcpProxy.listen(sp.name, LISTEN_IP, 0, pick, this.log)
      : await UdpProxy.bind(sp.name, LISTEN_IP, 0, pick, this.log, this.udpIdleTimeoutMs);
    this.log(`proxying ${sp.name} (${sp.protocol}) on port ${proxy.port}`);
    const l: Listener = { balancer, proxy, sp };
    this.listeners.set(listenerKey(sp), l);
    return l;
  }

  /** holds the NodePorts and the ports of local external/LB IPs; returns "name ip" / "name nodePort" for those that failed */
  private async claimPorts(wanted: Array<ServicePort & { protocol: 'TCP' | 'UDP' }>, local: string[], npIPs: string[] | undefined): Promise<Set<string>> {
    const claims: Array<PortClaim & { what: string }> = [];
    for (const sp of wanted) {
      if (sp.nodePort) for (const ip of npIPs ?? [undefined]) claims.push({ ip, port: sp.nodePort, protocol: sp.protocol, owner: sp.name, what: 'nodePort' });
      for (const ip of [...sp.externalIPs, ...sp.loadBalancerIPs]) {
        if (local.includes(ip)) claims.push({ ip, port: sp.port, protocol: sp.protocol, owner: sp.name, what: ip });
      }
    }
    const failed = await this.claims.sync(claims);
    for (const f of failed) this.log(`${f.claim.owner}: not opening its ${f.claim.what}: ${f.error}`);
    return new Set(failed.map((f) => `${f.claim.owner} ${f.claim.what}`));
  }

  /** the listener port of each Service port ("ns/svc:port/TCP" → port), for tests and debugging */
  proxyPorts(): Record<string, number> {
    return Object.fromEntries([...this.listeners].map(([k, l]) => [k, l.proxy.port]));
  }

  stats(): Record<string, TcpProxyStats | UdpProxyStats> {
    return Object.fromEntries([...this.listeners].map(([k, l]) => [k, { ...l.proxy.stats }]));
  }

  /** true when a chain or a jump of ours is missing (a flush, or a first start) */
  async flushed(): Promise<boolean> {
    const saved = await this.ipt.save();
    return PORTAL_CHAINS.some((c) => !chainPresent(saved, c.table, c.chain)) || missingJumps(saved).length > 0;
  }

  /** removes userspace mode's jumps and chains; does nothing (and runs no restore) when there are none */
  async cleanup(): Promise<void> {
    const saved = await this.ipt.save().catch(() => '');
    const text = renderCleanup(saved);
    if (text) await this.ipt.restore(text);
  }

  /** closes every listener, connection and held port; the rules stay until cleanup() */
  async close(): Promise<void> {
    const all = [...[...this.listeners.values()].map((l) => l.proxy), ...this.retired];
    this.listeners.clear();
    this.retired.clear();
    this.claims.closeAll();
    await Promise.all(all.map((p) => p.close()));
  }
}
