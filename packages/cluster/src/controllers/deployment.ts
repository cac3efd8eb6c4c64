// Deployment controller: one ReplicaSet per pod template (<deployment>-<pod-template-hash>), rolled
// out as upstream does it: RollingUpdate within maxSurge / maxUnavailable, or Recreate; revisions on
// the ReplicaSets, old ones pruned to revisionHistoryLimit; status and conditions for rollout status.
import type { V1Deployment, V1DeploymentCondition, V1ReplicaSet } from '@kubernetes/client-node';
import { WorkQueue } from '@svclab/kube';
import { controllerOf, isRace, keyOf, ownerRef, splitKey, type ControllerContext } from './context.js';
import { templateHash } from './pod-template.js';
import { createdAt, fenceposts, isScalingEvent, newReplicaSetSize, oldScaleDownBudget, replicasAnnotations, scaledSizes, totalReplicas } from './rollout.js';

const REVISION = 'deployment.kubernetes.io/revision';
const revisionOf = (r: V1ReplicaSet) => Number(r.metadata!.annotations?.[REVISION] ?? 0);
const byAge = (a: V1ReplicaSet, b: V1ReplicaSet) => createdAt(a) - createdAt(b) || a.metadata!.name!.localeCompare(b.metadata!.name!);

export function startDeploymentController(ctx: ControllerContext): WorkQueue {
  const queue = new WorkQueue(sync);
  const events = ctx.recorder('deployment-controller');
  ctx.on<V1Deployment>('deployments', { add: (d) => queue.add(keyOf(d)), update: (d) => queue.add(keyOf(d)) });
  ctx.on<V1ReplicaSet>('replicasets', { add: (r) => enqueueOwner(r), update: (r) => enqueueOwner(r), delete: (r) => enqueueOwner(r) });
  function enqueueOwner(r: V1ReplicaSet) {
    const c = controllerOf(r);
    if (c?.kind === 'Deployment') queue.add(`${r.metadata!.namespace}/${c.name}`);
  }

  async function scale(d: V1Deployment, rs: V1ReplicaSet, to: number): Promise<void> {
    const from = rs.spec?.replicas ?? 0;
    const recorded = replicasAnnotations(d);
    const stale = Object.entries(recorded).some(([k, v]) => rs.metadata!.annotations?.[k] !== v);
    // a ReplicaSet kept at its size still records the Deployment's new size, or the scaling event never ends
    if (from === to && !(stale && to > 0)) return;
    const annotations = { ...rs.metadata!.annotations, ...recorded };
    await ctx.apps.replaceNamespacedReplicaSet({ namespace: rs.metadata!.namespace!, name: rs.metadata!.name!, body: { ...rs, metadata: { ...rs.metadata, annotations }, spec: { ...rs.spec!, replicas: to } } })
      .then(() => { if (from !== to) events.event('Deployment', d, 'Normal', 'ScalingReplicaSet', `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata!.name} from ${from} to ${to}`); })
      .catch((e) => { if (!isRace(e)) throw e; });
    rs.spec!.replicas = to;
    rs.metadata!.annotations = annotations;
  }

  async function newReplicaSet(d: V1Deployment, owned: V1ReplicaSet[], hash: string): Promise<V1ReplicaSet | undefined> {
    const { namespace, name } = d.metadata as { namespace: string; name: string };
    const revision = String(Math.max(0, ...owned.map(revisionOf)) + 1);
    const existing = owned.find((r) => r.metadata!.labels?.['pod-template-hash'] === hash);
    if (existing) {
      // a rollback to an older template makes its ReplicaSet the newest revision again
      if (revisionOf(existing) !== Math.max(...owned.map(revisionOf))) {
        existing.metadata!.annotations = { ...existing.metadata!.annotations, [REVISION]: revision };
        return ctx.apps.replaceNamespacedReplicaSet({ namespace, name: existing.metadata!.name!, body: existing }).catch((e) => { if (isRace(e)) return undefined; throw e; });
      }
      return existing;
    }
    const template = structuredClone(d.spec!.template);
    template.metadata = { ...template.metadata, labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash } };
    const draft: V1ReplicaSet = { metadata: {}, spec: { replicas: 0, selector: d.spec!.selector, template } };
    const replicas = d.spec!.strategy?.type === 'Recreate' ? 0 : newReplicaSetSize(d, owned, draft);
    const created = await ctx.apps.createNamespacedReplicaSet({
      namespace,
      body: {
        apiVersion: 'apps/v1', kind: 'ReplicaSet',
        metadata: {
          name: `${name}-${hash}`, namespace, labels: template.metadata.labels,
          annotations: { ...replicasAnnotations(d), [REVISION]: revision },
          ownerReferences: [ownerRef(d, 'apps/v1', 'Deployment')],
        },
        spec: { replicas, selector: { ...d.spec!.selector, matchLabels: { ...(d.spec!.selector.matchLabels ?? {}), 'pod-template-hash': hash } }, template },
      },
    }).catch((e) => { if (isRace(e)) return undefined; throw e; });
    if (created && replicas > 0) events.event('Deployment', d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata!.name} from 0 to ${replicas}`);
    return created;
  }

  async function rollingUpdate(d: V1Deployment, all: V1ReplicaSet[], newRS: V1ReplicaSet, old: V1ReplicaSet[]): Promise<void> {
    await scale(d, newRS, newReplicaSetSize(d, all, newRS));
    let budget = oldScaleDownBudget(d, all, newRS);
    if (budget <= 0) return;
    // unhealthy old pods go first, then available ones, oldest ReplicaSet first
    for (const rs of [...old].sort(byAge)) {
      if (budget <= 0) break;
      const unhealthy = (rs.spec?.replicas ?? 0) - (rs.status?.availableReplicas ?? 0);
      const down = Math.min(budget, Math.max(unhealthy, 0));
      if (down > 0) { await scale(d, rs, (rs.spec?.replicas ?? 0) - down); budget -= down; }
    }
    for (const rs of [...old].sort(byAge)) {
      if (budget <= 0) break;
      const down = Math.min(budget, rs.spec?.replicas ?? 0);
      if (down > 0) { await scale(d, rs, (rs.spec?.replicas ?? 0) - down); budget -= down; }
    }
  }

  async function recreate(d: V1Deployment, newRS: V1ReplicaSet, old: V1ReplicaSet[]): Promise<void> {
    for (const rs of old) await scale(d, rs, 0);
    const oldPods = old.reduce((n, r) => n + (r.status?.replicas ?? 0), 0);
    if (oldPods === 0) await scale(d, newRS, d.spec!.replicas ?? 1);
  }

  async function pruneHistory(d: V1Deployment, old: V1ReplicaSet[]): Promise<void> {
    const limit = d.spec!.revisionHistoryLimit ?? 10;
    const idle = old.filter((r) => (r.spec?.replicas ?? 0) === 0 && (r.status?.replicas ?? 0) === 0).sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const r of idle.slice(0, Math.max(0, idle.length - limit))) {
      await ctx.apps.deleteNamespacedReplicaSet({ namespace: r.metadata!.namespace!, name: r.metadata!.name! }).catch((e) => { if (!isRace(e)) throw e; });
    }
  }

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const d = ctx.deployment(namespace, name);
    if (!d || d.metadata!.deletionTimestamp) return;
    let owned = ctx.replicaSets(namespace).filter((r) => controllerOf(r)?.uid === d.metadata!.uid).map((r) => structuredClone(r));
    const hash = templateHash(d.spec!.template, d.status?.collisionCount);
    const newRS = await newReplicaSet(d, owned, hash);
    if (!newRS) return;
    owned = [...owned.filter((r) => r.metadata!.name !== newRS.metadata!.name), newRS];
    const old = owned.filter((r) => r !== newRS);
    if (d.spec!.paused || isScalingEvent(d, owned)) {
      // syncDeployment's dc.sync: a paused Deployment still follows spec.replicas, and a change of
      // spec.replicas resizes the ReplicaSets as they stand (scaling down included)
      const sizes = scaledSizes(d, newRS, old);
      for (const rs of [newRS, ...old]) await scale(d, rs, sizes.get(rs.metadata!.name!)!);
      if (!d.spec!.paused) await pruneHistory(d, old);
    } else {
      if (d.spec!.strategy?.type === 'Recreate') await recreate(d, newRS, old);
      else await rollingUpdate(d, owned, newRS, old);
      await pruneHistory(d, old);
    }
    await writeStatus(d, owned, newRS);
  }

  async function writeStatus(d: V1Deployment, owned: V1ReplicaSet[], newRS: V1ReplicaSet): Promise<void> {
    const replicas = d.spec!.replicas ?? 1;
    const sum = (f: (r: V1ReplicaSet) => number | undefined) => owned.reduce((n, r) => n + (f(r) ?? 0), 0);
    const available = sum((r) => r.status?.availableReplicas);
    const updated = newRS.status?.replicas ?? 0;
    const status = {
      observedGeneration: d.metadata!.generation, replicas: sum((r) => r.status?.replicas), updatedReplicas: updated,
      readyReplicas: sum((r) => r.status?.readyReplicas), availableReplicas: available, unavailableReplicas: Math.max(0, totalReplicas(owned) - available),
    };
    const done = updated === replicas && status.replicas === replicas && available >= replicas;
    const prev = d.status ?? {};
    const t = new Date();
    const condition = (type: string, ok: boolean, reason: string, message: string): V1DeploymentCondition => {
      const before = prev.conditions?.find((c) => c.type === type);
      const same = before && before.status === (ok ? 'True' : 'False') && before.reason === reason;
      return { type, status: ok ? 'True' : 'False', reason, message, lastUpdateTime: same ? before.lastUpdateTime : t, lastTransitionTime: before?.status === (ok ? 'True' : 'False') ? before.lastTransitionTime : t };
    };
    // deploymentutil.MaxUnavailable: only RollingUpdate tolerates unavailable pods
    const maxUnavailable = d.spec!.strategy?.type === 'Recreate' ? 0 : fenceposts(d).maxUnavailable;
    const minAvailable = available >= replicas - maxUnavailable;
    const conditions = [
      condition('Available', minAvailable, minAvailable ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        minAvailable ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.'),
      condition('Progressing', true, done ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
        done ? `ReplicaSet "${newRS.metadata!.name}" has successfully progressed.` : `ReplicaSet "${newRS.metadata!.name}" is progressing.`),
    ];
    const revision = newRS.metadata!.annotations?.[REVISION];
    const changed = Object.entries(status).some(([k, v]) => (prev as Record<string, unknown>)[k] !== v) ||
      JSON.stringify(conditions.map((c) => [c.type, c.status, c.reason])) !== JSON.stringify((prev.conditions ?? []).map((c) => [c.type, c.status, c.reason])) ||
      d.metadata!.annotations?.[REVISION] !== revision;
    if (!changed) return;
    if (revision && d.metadata!.annotations?.[REVISION] !== revision) {
      const annotated = { ...d, metadata: { ...d.metadata, annotations: { ...d.metadata!.annotations, [REVISION]: revision } } };
      d = await ctx.apps.replaceNamespacedDeployment({ namespace: d.metadata!.namespace!, name: d.metadata!.name!, body: annotated }).catch((e) => { if (isRace(e)) return d; throw e; });
    }
    await ctx.apps.replaceNamespacedDeploymentStatus({ namespace: d.metadata!.namespace!, name: d.metadata!.name!, body: { ...d, status: { ...prev, ...status, conditions } } })
      .catch((e) => { if (!isRace(e)) throw e; });
  }
  return queue;
}
