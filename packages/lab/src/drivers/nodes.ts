// Node names and InternalIPs read through the API, the way a lab on any cluster learns them.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';

export async function nodeAddresses(kc: KubeConfig): Promise<Array<{ name: string; ip: string }>> {
  const nodes = (await kc.makeApiClient(CoreV1Api).listNode()).items;
  return nodes.map((n) => ({ name: n.metadata!.name!, ip: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '' }));
}
