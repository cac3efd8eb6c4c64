// The scheduler: binds each pending pod to a Ready node that it tolerates and its node affinity
// (matchFields metadata.name, as DaemonSet pods carry) and nodeSelector allow, spreading by pod count.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { WorkQueue } from '@svclab/kube';
import { isActive, isRace, keyOf, splitKey, type ControllerContext } from '../controllers/context.js';
import { pinnedNode } from '../controllers/daemonset.js';
import { tolerates } from './taints.js';

const ready = (n: V1Node) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

export function pickNode(pod: V1Pod, nodes: V1Node[], load: Map<string, number>): V1Node | undefined {
  const pinned = pinnedNode(pod);
  const selector = pod.spec?.nodeSelector ?? {};
  const fits = nodes.filter((n) => ready(n) && !n.spec?.unschedulable &&
    tolerates(pod.spec?.tolerations ?? [], n.spec?.taints ?? []) &&
    (!pinned || n.metadata!.name === pinned) &&
    Object.entries(selector).every(([k, v]) => n.metadata!.labels?.[k] === v));
  return fits.sort((a, b) => (load.get(a.metadata!.name!) ?? 0) - (load.get(b.metadata!.name!) ?? 0) || a.metadata!.name!.localeCompare(b.metadata!.name!))[0];
}

export function startScheduler(ctx: ControllerContext): WorkQueue {
  const assumed = new Map<string, string>();
  const queue = new WorkQueue(schedule);
  const events = ctx.recorder('default-scheduler');
  const pending = new Map<string, V1Pod>();
  const consider = (p: V1Pod) => {
    if (p.spec?.nodeName || (p.spec?.schedulerName ?? 'default-scheduler') !== 'default-scheduler' || !isActive(p)) { pending.delete(keyOf(p)); return; }
    pending.set(keyOf(p), p);
    queue.add(keyOf(p));
  };
  ctx.on<V1Pod>('pods', { add: consider, update: consider, delete: (p) => { pending.delete(keyOf(p)); assumed.delete(p.metadata!.uid!); } });
  ctx.on<V1Node>('nodes', { add: () => pending.forEach((_, k) => queue.add(k)), update: () => undefined });

  async function schedule(key: string): Promise<void> {
    const pod = pending.get(key);
    if (!pod) return;
    const load = new Map<string, number>();
    const count = (node: string | undefined) => node && load.set(node, (load.get(node) ?? 0) + 1);
    for (const p of ctx.pods()) if (isActive(p) && !assumed.has(p.metadata!.uid!)) count(p.spec?.nodeName);
    for (const node of assumed.values()) count(node);
    const node = pickNode(pod, ctx.nodes(), load);
    if (!node) {
      // stays Pending; a node event retries
      events.event('Pod', pod, 'Warning', 'FailedScheduling', `0/${ctx.nodes().length} nodes are available: no node fits the pod's tolerations, node affinity and node selector.`);
      return;
    }
    const { namespace, name } = splitKey(key);
    assumed.set(pod.metadata!.uid!, node.metadata!.name!);
    pending.delete(key);
    await ctx.core.createNamespacedPodBinding({
      namespace, name, body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: node.metadata!.name! } },
    }).then(() => events.event('Pod', pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node.metadata!.name}`))
      .catch((e) => { assumed.delete(pod.metadata!.uid!); if (!isRace(e)) throw e; });
  }
  return queue;
}
