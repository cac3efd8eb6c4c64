// The nodes' network, built like kind's: a bridge standing for the docker network (172.18.0.0/16,
// in a namespace of its own), each node a network namespace on it with a pod CIDR 10.244.N.0/24 and
// routes to the other nodes' pod CIDRs (kindnet's routing), plus a lab-owned client host on the
// same bridge, outside the nodes, like the laptop in the tutorials. Nothing touches the host's namespace.
// As on kind, a node's default route leads to the network's gateway (here the client host), and
// traffic from pods to anything outside the pod network is masqueraded to the node's address
// (kindnet's ip-masq-agent rules), so a pod reaches the client host and the answer finds its way back.
import { execa } from 'execa';
import { addNetns, ipBatch, NETNS_DIR, sysctls } from './ip.js';

export interface NodeNet { name: string; ip: string; podCIDR: string; gateway: string; index: number }

export interface FabricLayout {
  cluster: string;
  bridgeNs: string;
  subnet: string;
  nodes: NodeNet[];
  client: { ns: string; ip: string };
}

export function layout(cluster: string, workers: number): FabricLayout {
  const names = [`${cluster}-control-plane`, ...Array.from({ length: workers }, (_, i) => `${cluster}-worker${i === 0 ? '' : i + 1}`)];
  return {
    cluster,
    bridgeNs: `${cluster}-net`,
    subnet: '172.18.0.0/16',
    nodes: names.map((name, i) => ({ name, index: i, ip: `172.18.0.${i + 2}`, podCIDR: `10.244.${i}.0/24`, gateway: `10.244.${i}.1` })),
    client: { ns: `${cluster}-client`, ip: '172.18.0.1' },
  };
}

async function attach(l: FabricLayout, ns: string, ip: string, port: string): Promise<void> {
  await addNetns(ns);
  await ipBatch(l.bridgeNs, [`link add ${port} type veth peer name eth0 netns ${ns}`, `link set ${port} master br0 up`]);
  await ipBatch(ns, ['link set lo up', 'link set eth0 up', `addr add ${ip}/16 dev eth0`]);
}

export async function buildFabric(l: FabricLayout): Promise<void> {
  await addNetns(l.bridgeNs);
  await ipBatch(l.bridgeNs, ['link set lo up', 'link add br0 type bridge', 'link set br0 up']);
  await Promise.all([
    attach(l, l.client.ns, l.client.ip, 'veth-client'),
    ...l.nodes.map(async (n) => {
      await attach(l, n.name, n.ip, `veth-n${n.index}`);
      await sysctls(n.name, { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.all.rp_filter': 0, 'net.ipv4.conf.default.rp_filter': 0 });
      await ipBatch(n.name, [...l.nodes.filter((o) => o !== n).map((o) => `route add ${o.podCIDR} via ${o.ip} dev eth0`), `route add default via ${l.client.ip} dev eth0`]);
      await nodeRules(n.name);
    }),
  ]);
}

/** the pod CIDRs of every node together (kind's podSubnet) */
export const POD_NETWORK = '10.244.0.0/16';
/** kind's serviceSubnet */
export const SERVICE_NETWORK = '10.96.0.0/12';

/**
 * A packet to a Service IP that no kube-proxy rule translated is refused on the node instead of
 * leaving by the default route: a pod that starts before its node's kube-proxy has synced would
 * otherwise send its first SYN out unanswered, and the conntrack entry that SYN made (without DNAT)
 * would carry its retries to nowhere for two minutes. (kind avoids it by ordering: no pod starts
 * before the CNI, and by then kube-proxy has synced.) IPs a node owns (ipvs's dummy device) pass.
 */
export function unclaimedServiceRules(serviceNetwork: string): string {
  const comment = '-m comment --comment "svclab: a Service IP kube-proxy has not translated (yet) is refused, not routed away"';
  return [
    '*filter',
    `-A FORWARD -d ${serviceNetwork} ${comment} -j REJECT`,
    `-A OUTPUT -d ${serviceNetwork} -m addrtype ! --dst-type LOCAL ${comment} -j REJECT`,
    'COMMIT',
    '',
  ].join('\n');
}

/** kindnet's ip-masq-agent chain: non-local traffic leaving for outside the pod network is masqueraded */
export function masqueradeRules(podNetwork: string): string {
  return [
    '*nat',
    ':KIND-MASQ-AGENT - [0:0]',
    '-A POSTROUTING -m addrtype ! --dst-type LOCAL -m comment --comment "kind-masq-agent: ensure nat POSTROUTING directs all non-LOCAL destination traffic to our custom KIND-MASQ-AGENT chain" -j KIND-MASQ-AGENT',
    `-A KIND-MASQ-AGENT -d ${podNetwork} -m comment --comment "kind-masq-agent: local traffic is not subject to MASQUERADE" -j RETURN`,
    '-A KIND-MASQ-AGENT -m comment --comment "kind-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)" -j MASQUERADE',
    'COMMIT',
    '',
  ].join('\n');
}

async function nodeRules(ns: string): Promise<void> {
  // iptables-nft, as kindnet's image: kube-proxy's iptables-wrapper check then finds nft in use
  await execa('nsenter', [`--net=${NETNS_DIR}/${ns}`, '--', 'iptables-nft-restore', '--noflush'], { input: masqueradeRules(POD_NETWORK) + unclaimedServiceRules(SERVICE_NETWORK) });
}
