// The nodes' network, built like kind's: a bridge standing for the docker network (172.18.0.0/16,
// in a namespace of its own), each node a network namespace on it with a pod CIDR 10.244.N.0/24 and
// routes to the other nodes' pod CIDRs (kindnet's routing), plus a lab-owned client host on the
// same bridge, outside the nodes, like the laptop in the tutorials. Nothing touches the host's namespace.
import { addNetns, ipBatch, sysctls } from './ip.js';

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
      await ipBatch(n.name, l.nodes.filter((o) => o !== n).map((o) => `route add ${o.podCIDR} via ${o.ip} dev eth0`));
    }),
  ]);
}
