// Renders the iptables-restore input for a set of Service ports, in upstream's layout and order
// (pkg/proxy/iptables/proxier.go syncProxyRules): filter then nat, chain declarations first.
import { endpointString, usable, type ServicePort } from '../service-ports.js';
import { endpointChain, externalChain, localChain, serviceChain } from './names.js';

export interface RenderOptions {
  /** this node's name: endpoints on it are local (externalTrafficPolicy: Local) */
  nodeName?: string;
  /** the local-traffic detector: pod traffic from this CIDR to a ClusterIP is not masqueraded */
  clusterCIDR: string;
  masqueradeBit: number;
  masqueradeAll: boolean;
  /** iptables supports MASQUERADE --random-fully */
  randomFully: boolean;
}

const probability = (n: number) => (1 / n).toFixed(10);

/** iptables-save quotes a comment only when it has spaces. */
const comment = (c: string) => (/\s/.test(c) ? `"${c}"` : c);

export function ownedChainPrefix(chain: string): boolean {
  return /^KUBE-(SVC|SVL|EXT|FW|SEP)-/.test(chain);
}

export interface Rendered { text: string; natChains: string[] }

export function renderRules(ports: ServicePort[], o: RenderOptions, staleNatChains: string[] = []): Rendered {
  const mark = `0x${(1 << o.masqueradeBit).toString(16)}`;
  const filterRules: string[] = [];
  const natChains = ['KUBE-NODEPORTS', 'KUBE-SERVICES', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING', 'KUBE-PROXY-CANARY'];
  const natRules: string[] = [];
  const svcRules: string[] = [];
  const perService: string[][] = [];

  const nodePortRules: string[] = [];
  const externalFilter: string[] = [];
  for (const sp of ports) {
    const proto = sp.protocol.toLowerCase();
    const match = `-m ${proto} -p ${proto}`;
    const dst = `${match} -d ${sp.clusterIP} --dport ${sp.port}`;
    const external = [...sp.externalIPs.map((ip) => ['external IP', ip]), ...sp.loadBalancerIPs.map((ip) => ['loadbalancer IP', ip])] as Array<[string, string]>;
    const ready = usable(sp.endpoints);
    const nodeLocal = usable(sp.endpoints.filter((e) => e.nodeName === o.nodeName));
    const local = sp.externalLocal ? nodeLocal : ready;
    // one KUBE-SVL chain (this node's endpoints) serves both Local policies
    const svlChain = localChain(sp.name, sp.protocol);
    const usesSvl = (sp.externalLocal || sp.internalLocal) && nodeLocal.length > 0 && ready.length > 0;
    if (sp.externalLocal && sp.healthCheckNodePort) {
      filterRules.push(`-A KUBE-NODEPORTS -m comment --comment ${comment(`${sp.name} health check node port`)} -m tcp -p tcp --dport ${sp.healthCheckNodePort} -j ACCEPT`);
    }
    if (ready.length === 0) {
      // nothing to reach: refuse at once, on the ClusterIP and on every external way in
      const why = comment(`${sp.name} has no endpoints`);
      filterRules.push(`-A KUBE-SERVICES -m comment --comment ${why} ${dst} -j REJECT`);
      for (const [, ip] of external) externalFilter.push(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${why} ${match} -d ${ip} --dport ${sp.port} -j REJECT`);
      if (sp.nodePort) externalFilter.push(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${why} -m addrtype --dst-type LOCAL ${match} --dport ${sp.nodePort} -j REJECT`);
      continue;
    }
    const svcChain = serviceChain(sp.name, sp.protocol);
    natChains.push(svcChain);
    if (!sp.internalLocal) svcRules.push(`-A KUBE-SERVICES -m comment --comment ${comment(`${sp.name} cluster IP`)} ${dst} -j ${svcChain}`);
    else if (usesSvl) svcRules.push(`-A KUBE-SERVICES -m comment --comment ${comment(`${sp.name} cluster IP`)} ${dst} -j ${svlChain}`);
    else filterRules.push(`-A KUBE-SERVICES -m comment --comment ${comment(`${sp.name} has no local endpoints`)} ${dst} -j DROP`);
    if (usesSvl) {
      natChains.push(svlChain);
      perService.push([
        // internalTrafficPolicy Local: the ClusterIP's masquerade rule lives in the chain the ClusterIP uses
        ...(sp.internalLocal && o.masqueradeAll ? [`-A ${svlChain} -m comment --comment ${comment(`${sp.name} cluster IP`)} ${dst} -j KUBE-MARK-MASQ`] : []),
        ...(sp.internalLocal && !o.masqueradeAll && o.clusterCIDR ? [`-A ${svlChain} -m comment --comment ${comment(`${sp.name} cluster IP`)} ${dst} ! -s ${o.clusterCIDR} -j KUBE-MARK-MASQ`] : []),
        ...nodeLocal.map((e, i) => {
          const stat = i < nodeLocal.length - 1 ? ` -m statistic --mode random --probability ${probability(nodeLocal.length - i)}` : '';
          return `-A ${svlChain} -m comment --comment ${comment(`${sp.name} -> ${endpointString(e)}`)}${stat} -j ${endpointChain(sp.name, sp.protocol, endpointString(e))}`;
        }),
      ]);
    }
    if ((external.length || sp.nodePort) && local.length === 0) {
      // Local policy and no endpoint on this node: external traffic is dropped here (a load balancer's
      // health check sends it to a node that has one)
      const why = comment(`${sp.name} has no local endpoints`);
      for (const [, ip] of external) externalFilter.push(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${why} ${match} -d ${ip} --dport ${sp.port} -j DROP`);
      if (sp.nodePort) externalFilter.push(`-A KUBE-EXTERNAL-SERVICES -m comment --comment ${why} -m addrtype --dst-type LOCAL ${match} --dport ${sp.nodePort} -j DROP`);
    } else if (external.length || sp.nodePort) {
      // external traffic (NodePort, external and load-balancer IPs) goes through KUBE-EXT: masqueraded to
      // the cluster's endpoints, or (Local policy) to this node's, keeping the client's address
      const extChain = externalChain(sp.name, sp.protocol);
      natChains.push(extChain);
      for (const [what, ip] of external) svcRules.push(`-A KUBE-SERVICES -m comment --comment ${comment(`${sp.name} ${what}`)} ${match} -d ${ip} --dport ${sp.port} -j ${extChain}`);
      if (sp.nodePort) nodePortRules.push(`-A KUBE-NODEPORTS -m comment --comment ${comment(sp.name)} ${match} --dport ${sp.nodePort} -j ${extChain}`);
      if (!sp.externalLocal) {
        perService.push([
          `-A ${extChain} -m comment --comment ${comment(`masquerade traffic for ${sp.name} external destinations`)} -j KUBE-MARK-MASQ`,
          `-A ${extChain} -j ${svcChain}`,
        ]);
      } else {
        perService.push([
          ...(o.clusterCIDR ? [`-A ${extChain} -m comment --comment ${comment(`pod traffic for ${sp.name} external destinations`)} -s ${o.clusterCIDR} -j ${svcChain}`] : []),
          `-A ${extChain} -m comment --comment ${comment(`masquerade LOCAL traffic for ${sp.name} external destinations`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
          `-A ${extChain} -m comment --comment ${comment(`route LOCAL traffic for ${sp.name} external destinations`)} -m addrtype --src-type LOCAL -j ${svcChain}`,
          `-A ${extChain} -j ${svlChain}`,
        ]);
      }
    }
    const rules: string[] = [];
    if (o.masqueradeAll) rules.push(`-A ${svcChain} -m comment --comment ${comment(`${sp.name} cluster IP`)} ${dst} -j KUBE-MARK-MASQ`);
    else if (o.clusterCIDR) rules.push(`-A ${svcChain} -m comment --comment ${comment(`${sp.name} cluster IP`)} ${dst} ! -s ${o.clusterCIDR} -j KUBE-MARK-MASQ`);
    const sepRules: string[] = [];
    const seps = ready.map((e) => [e, endpointChain(sp.name, sp.protocol, endpointString(e))] as const);
    // ClientIP affinity: a client seen within the timeout goes back to the endpoint it had (-m recent)
    if (sp.affinitySeconds) {
      for (const [e, sep] of seps) rules.push(`-A ${svcChain} -m comment --comment ${comment(`${sp.name} -> ${endpointString(e)}`)} -m recent --name ${sep} --rcheck --seconds ${sp.affinitySeconds} --reap -j ${sep}`);
    }
    seps.forEach(([e, sep], i) => {
      const stat = i < ready.length - 1 ? ` -m statistic --mode random --probability ${probability(ready.length - i)}` : '';
      rules.push(`-A ${svcChain} -m comment --comment ${comment(`${sp.name} -> ${endpointString(e)}`)}${stat} -j ${sep}`);
    });
    // an endpoint chain for every endpoint a chain jumps to: the cluster's, and this node's (Local policy)
    for (const e of [...ready, ...(usesSvl ? nodeLocal.filter((l) => !ready.includes(l)) : [])]) {
      const sep = endpointChain(sp.name, sp.protocol, endpointString(e));
      natChains.push(sep);
      const remember = sp.affinitySeconds ? ` -m recent --name ${sep} --set` : '';
      sepRules.push(`-A ${sep} -m comment --comment ${comment(sp.name)} -s ${e.ip} -j KUBE-MARK-MASQ`);
      sepRules.push(`-A ${sep} -m comment --comment ${comment(sp.name)}${remember} ${match} -j DNAT --to-destination ${endpointString(e)}`);
    }
    perService.push([...sepRules, ...rules]);
  }

  natRules.push(...nodePortRules, ...svcRules);
  natRules.push(`-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`);
  natRules.push(`-A KUBE-MARK-MASQ -j MARK --or-mark ${mark}`);
  natRules.push(`-A KUBE-POSTROUTING -m mark ! --mark ${mark}/${mark} -j RETURN`);
  natRules.push(`-A KUBE-POSTROUTING -j MARK --xor-mark ${mark}`);
  natRules.push(`-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${o.randomFully ? ' --random-fully' : ''}`);
  for (const r of perService) natRules.push(...r);

  const filter = [
    '*filter',
    ...['KUBE-NODEPORTS', 'KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-PROXY-FIREWALL', 'KUBE-PROXY-CANARY'].map((c) => `:${c} - [0:0]`),
    ...filterRules,
    ...externalFilter,
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`,
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    'COMMIT',
  ];
  const stale = staleNatChains.filter((c) => !natChains.includes(c));
  const nat = [
    '*nat',
    ...natChains.map((c) => `:${c} - [0:0]`),
    ...stale.map((c) => `:${c} - [0:0]`),
    ...natRules,
    ...stale.map((c) => `-X ${c}`),
    'COMMIT',
  ];
  return { text: [...filter, ...nat].join('\n') + '\n', natChains };
}

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
