// Deployment controller: one ReplicaSet per pod template (named <deployment>-<pod-template-hash>),
// the current one scaled to spec.replicas and the old ones to zero, and the Deployment's status.
// (Rolling updates bounded by maxSurge / maxUnavailable come with the control-plane fidelity work.)
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { WorkQueue } from '@svclab/kube';
import { controllerOf, isRace, keyOf, ownerRef, splitKey, type ControllerContext } from './context.js';
import { templateHash } from './pod-template.js';

export function startDeploymentController(ctx: ControllerContext): WorkQueue {
  const queue = new WorkQueue(sync);
  const events = ctx.recorder('deployment-controller');
  ctx.on<V1Deployment>('deployments', { add: (d) => queue.add(keyOf(d)), update: (d) => queue.add(keyOf(d)) });
  ctx.on<V1ReplicaSet>('replicasets', {
    add: (r) => enqueueOwner(r), update: (r) => enqueueOwner(r), delete: (r) => enqueueOwner(r),
  });
  function enqueueOwner(r: V1ReplicaSet) {
    const c = controllerOf(r);
    if (c?.kind === 'Deployment') queue.add(`${r.metadata!.namespace}/${c.name}`);
  }

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const d = ctx.deployment(namespace, name);
    if (!d) return;
    const owned = ctx.replicaSets(namespace).filter((r) => controllerOf(r)?.uid === d.metadata!.uid);
    const hash = templateHash(d.spec!.template, d.status?.collisionCount);
    const replicas = d.spec!.replicas ?? 1;
    let current = owned.find((r) => r.metadata!.labels?.['pod-template-hash'] === hash);
    if (!current) {
      const template = structuredClone(d.spec!.template);
      template.metadata = { ...template.metadata, labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash } };
      const revision = Math.max(0, ...owned.map((r) => Number(r.metadata!.annotations?.['deployment.kubernetes.io/revision'] ?? 0))) + 1;
      current = await ctx.apps.createNamespacedReplicaSet({
        namespace,
        body: {
          apiVersion: 'apps/v1', kind: 'ReplicaSet',
          metadata: {
            name: `${name}-${hash}`, namespace, labels: template.metadata.labels,
            annotations: { 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/max-replicas': String(replicas), 'deployment.kubernetes.io/revision': String(revision) },
            ownerReferences: [ownerRef(d, 'apps/v1', 'Deployment')],
          },
          spec: {
            replicas,
            selector: { ...d.spec!.selector, matchLabels: { ...(d.spec!.selector.matchLabels ?? {}), 'pod-template-hash': hash } },
            template,
          },
        },
      }).catch((e) => { if (isRace(e)) return undefined; throw e; });
      if (!current) return;
      events.event('Deployment', d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${current.metadata!.name} from 0 to ${replicas}`);
    }
    for (const r of owned) {
      const want = r === current || r.metadata!.name === current.metadata!.name ? replicas : 0;
      const have = r.spec!.replicas ?? 1;
      if (have !== want) {
        await ctx.apps.replaceNamespacedReplicaSet({ namespace, name: r.metadata!.name!, body: { ...r, spec: { ...r.spec!, replicas: want } } })
          .then(() => events.event('Deployment', d, 'Normal', 'ScalingReplicaSet', `Scaled ${want > have ? 'up' : 'down'} replica set ${r.metadata!.name} from ${have} to ${want}`))
          .catch((e) => { if (!isRace(e)) throw e; });
      }
    }
    const total = owned.reduce((n, r) => n + (r.status?.replicas ?? 0), 0);
    const ready = owned.reduce((n, r) => n + (r.status?.readyReplicas ?? 0), 0);
    const updated = current.status?.replicas ?? 0;
    const available = owned.reduce((n, r) => n + (r.status?.availableReplicas ?? 0), 0);
    const t = new Date();
    const status = {
      observedGeneration: d.metadata!.generation, replicas: total, updatedReplicas: updated, readyReplicas: ready,
      availableReplicas: available, unavailableReplicas: Math.max(0, replicas - available),
    };
    const prev = d.status ?? {};
    const changed = Object.entries(status).some(([k, v]) => (prev as Record<string, unknown>)[k] !== v);
    if (!changed) return;
    const minAvailable = available >= replicas;
    await ctx.apps.replaceNamespacedDeploymentStatus({
      namespace, name,
      body: {
        ...d,
        status: {
          ...prev, ...status,
          conditions: [
            { type: 'Available', status: minAvailable ? 'True' : 'False', reason: minAvailable ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
              message: minAvailable ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.', lastUpdateTime: t, lastTransitionTime: t },
            { type: 'Progressing', status: 'True', reason: updated === replicas && minAvailable ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
              message: `ReplicaSet "${current.metadata!.name}" ${updated === replicas && minAvailable ? 'has successfully progressed.' : 'is progressing.'}`, lastUpdateTime: t, lastTransitionTime: t },
          ],
        },
      },
    }).catch((e) => { if (!isRace(e)) throw e; });
  }
  return queue;
}
