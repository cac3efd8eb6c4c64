// ReplicaSet controller: keeps spec.replicas active pods owned by the ReplicaSet and reports status.
import type { V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { WorkQueue } from '@svclab/kube';
import { controllerOf, isActive, isRace, isReady, keyOf, ownerRef, splitKey, type ControllerContext } from './context.js';
import { Expectations, queueOwnerOfPods } from './expectations.js';
import { podFromTemplate } from './pod-template.js';

export function startReplicaSetController(ctx: ControllerContext): WorkQueue {
  const expectations = new Expectations();
  const queue = new WorkQueue(sync);
  const events = ctx.recorder('replicaset-controller');
  ctx.on<V1ReplicaSet>('replicasets', { add: (r) => queue.add(keyOf(r)), update: (r) => queue.add(keyOf(r)), delete: (r) => queue.add(keyOf(r)) });
  queueOwnerOfPods(ctx, 'ReplicaSet', queue, expectations);

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const rs = ctx.replicaSet(namespace, name);
    if (!rs) return;
    const owned = ctx.pods(namespace).filter((p) => controllerOf(p)?.uid === rs.metadata!.uid);
    const active = owned.filter(isActive);
    if (expectations.satisfied(key)) {
      const diff = (rs.spec!.replicas ?? 1) - active.length;
      if (diff > 0) {
        expectations.expect(key, diff);
        await Promise.all(Array.from({ length: diff }, () => ctx.core.createNamespacedPod({
          namespace, body: podFromTemplate(rs.spec!.template!, namespace, `${name}-`, [ownerRef(rs, 'apps/v1', 'ReplicaSet')]),
        }).then((p) => events.event('ReplicaSet', rs, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata!.name}`))
          .catch((e) => { expectations.created(key); if (!isRace(e)) throw e; })));
      } else if (diff < 0) {
        // delete the least useful first: unscheduled, then not ready, then the youngest
        const rank = (p: V1Pod) => (p.spec!.nodeName ? 2 : 0) + (isReady(p) ? 1 : 0);
        const victims = [...active].sort((a, b) => rank(a) - rank(b) ||
          String(b.metadata!.creationTimestamp).localeCompare(String(a.metadata!.creationTimestamp))).slice(0, -diff);
        expectations.expect(key, 0, victims.map((v) => v.metadata!.name!));
        await Promise.all(victims.map((v) => ctx.core.deleteNamespacedPod({ namespace, name: v.metadata!.name! })
          .then(() => events.event('ReplicaSet', rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${v.metadata!.name}`)).catch((e) => {
          expectations.deleted(key, v.metadata!.name!); if (!isRace(e)) throw e;
        })));
      }
    }
    const ready = active.filter(isReady).length;
    const status = {
      replicas: active.length, fullyLabeledReplicas: active.length, readyReplicas: ready, availableReplicas: ready,
      observedGeneration: rs.metadata!.generation,
    };
    const cur = rs.status ?? {};
    if (Object.entries(status).some(([k, v]) => (cur as Record<string, unknown>)[k] !== v && !(v === 0 && (cur as Record<string, unknown>)[k] === undefined))) {
      await ctx.apps.replaceNamespacedReplicaSetStatus({ namespace, name, body: { ...rs, status: { ...cur, ...status } } }).catch((e) => { if (!isRace(e)) throw e; });
    }
  }
  return queue;
}
