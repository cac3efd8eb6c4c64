// DaemonSet controller: one pod per eligible node, pinned with the node-affinity term upstream uses
// (matchFields metadata.name), which the scheduler honours; plus the DaemonSet's status.
import type { V1DaemonSet, V1Node, V1Pod } from '@kubernetes/client-node';
import { WorkQueue } from '@svclab/kube';
import { controllerOf, isActive, isRace, isReady, keyOf, ownerRef, splitKey, type ControllerContext } from './context.js';
import { Expectations, queueOwnerOfPods } from './expectations.js';
import { podFromTemplate, templateHash } from './pod-template.js';
import { tolerates } from '../scheduler/taints.js';

/** The node a DaemonSet pod is pinned to through its required node affinity. */
export function pinnedNode(p: V1Pod): string | undefined {
  const terms = p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  return terms.flatMap((t) => t.matchFields ?? []).find((f) => f.key === 'metadata.name' && f.operator === 'In')?.values?.[0];
}

export function startDaemonSetController(ctx: ControllerContext): WorkQueue {
  const expectations = new Expectations();
  const queue = new WorkQueue(sync);
  const events = ctx.recorder('daemonset-controller');
  const all = () => { for (const ds of ctx.daemonSets()) queue.add(keyOf(ds)); };
  ctx.on<V1DaemonSet>('daemonsets', { add: (d) => queue.add(keyOf(d)), update: (d) => queue.add(keyOf(d)) });
  ctx.on<V1Node>('nodes', { add: () => all(), update: () => undefined, delete: () => all() });
  queueOwnerOfPods(ctx, 'DaemonSet', queue, expectations);

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const ds = ctx.daemonSet(namespace, name);
    if (!ds) return;
    const template = ds.spec!.template;
    const tolerations = template.spec?.tolerations ?? [];
    const nodes = ctx.nodes().filter((n) => tolerates(tolerations, n.spec?.taints ?? []));
    const owned = ctx.pods(namespace).filter((p) => controllerOf(p)?.uid === ds.metadata!.uid && isActive(p));
    const byNode = new Map(owned.map((p) => [p.spec!.nodeName ?? pinnedNode(p), p]));
    if (expectations.satisfied(key)) {
      const missing = nodes.filter((n) => !byNode.has(n.metadata!.name!));
      const extra = owned.filter((p) => !nodes.some((n) => n.metadata!.name === (p.spec!.nodeName ?? pinnedNode(p))));
      expectations.expect(key, missing.length, extra.map((p) => p.metadata!.name!));
      const hash = templateHash(template);
      await Promise.all([
        ...missing.map((n) => {
          const pod = podFromTemplate(template, namespace, `${name}-`, [ownerRef(ds, 'apps/v1', 'DaemonSet')],
            { 'controller-revision-hash': hash, 'pod-template-generation': String(ds.metadata!.generation ?? 1) });
          pod.spec!.affinity = { ...pod.spec!.affinity, nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [n.metadata!.name!] }] }] } } };
          return ctx.core.createNamespacedPod({ namespace, body: pod })
            .then((p) => events.event('DaemonSet', ds, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata!.name}`))
            .catch((e) => { expectations.created(key); if (!isRace(e)) throw e; });
        }),
        ...extra.map((p) => ctx.core.deleteNamespacedPod({ namespace, name: p.metadata!.name! })
          .then(() => events.event('DaemonSet', ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata!.name}`)).catch((e) => { expectations.deleted(key, p.metadata!.name!); if (!isRace(e)) throw e; })),
      ]);
    }
    const ready = owned.filter(isReady).length;
    const status = {
      desiredNumberScheduled: nodes.length, currentNumberScheduled: owned.filter((p) => p.spec!.nodeName).length, numberMisscheduled: 0,
      numberReady: ready, numberAvailable: ready, updatedNumberScheduled: owned.length, observedGeneration: ds.metadata!.generation,
      ...(nodes.length - ready > 0 ? { numberUnavailable: nodes.length - ready } : {}),
    };
    const prev = (ds.status ?? {}) as Record<string, unknown>;
    if (Object.entries(status).some(([k, v]) => prev[k] !== v) || ('numberUnavailable' in prev && !('numberUnavailable' in status))) {
      await ctx.apps.replaceNamespacedDaemonSetStatus({ namespace, name, body: { ...ds, status } }).catch((e) => { if (!isRace(e)) throw e; });
    }
  }
  return queue;
}
