// The Deployment controller's arithmetic (pkg/controller/deployment/util and rolling.go): how far
// the new ReplicaSet may scale up and the old ones down in one step under maxSurge / maxUnavailable.
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';

type IntOrPercent = number | string | undefined;

/** intstr.GetScaledValueFromIntOrPercent: percentages of `total`, rounded up or down. */
export function scaled(v: IntOrPercent, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = v.match(/^(\d+)%$/);
  if (!m) return Number(v) || 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** ResolveFenceposts: maxSurge rounds up, maxUnavailable down; both zero means one may be unavailable. */
export function fenceposts(d: V1Deployment): { maxSurge: number; maxUnavailable: number } {
  const replicas = d.spec!.replicas ?? 1;
  const ru = d.spec!.strategy?.rollingUpdate;
  const maxSurge = scaled(ru?.maxSurge as IntOrPercent ?? '25%', replicas, true);
  let maxUnavailable = scaled(ru?.maxUnavailable as IntOrPercent ?? '25%', replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

const specReplicas = (rs: V1ReplicaSet) => rs.spec?.replicas ?? 0;
/** creationTimestamp in ms (a Date from an informer, a string from JSON) */
export const createdAt = (rs: V1ReplicaSet) => new Date(rs.metadata?.creationTimestamp ?? 0).getTime();
export const totalReplicas = (sets: V1ReplicaSet[]) => sets.reduce((n, r) => n + specReplicas(r), 0);

/** NewRSNewReplicas for RollingUpdate: the new ReplicaSet's size after this step. */
export function newReplicaSetSize(d: V1Deployment, all: V1ReplicaSet[], newRS: V1ReplicaSet): number {
  const replicas = d.spec!.replicas ?? 1;
  const { maxSurge } = fenceposts(d);
  const current = totalReplicas(all);
  const maxTotal = replicas + maxSurge;
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, replicas - specReplicas(newRS));
  return specReplicas(newRS) + Math.max(0, up);
}

/** How many old pods may go now without dropping below replicas - maxUnavailable available. */
export function oldScaleDownBudget(d: V1Deployment, all: V1ReplicaSet[], newRS: V1ReplicaSet): number {
  const replicas = d.spec!.replicas ?? 1;
  const { maxUnavailable } = fenceposts(d);
  const minAvailable = replicas - maxUnavailable;
  const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  return totalReplicas(all) - minAvailable - newUnavailable;
}

export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';

/** MaxSurge: only a RollingUpdate may go above spec.replicas */
const maxSurgeOf = (d: V1Deployment) => (d.spec!.strategy?.type === 'Recreate' ? 0 : fenceposts(d).maxSurge);

/** SetReplicasAnnotations' values: what a ReplicaSet records of its Deployment's size when it is scaled */
export function replicasAnnotations(d: V1Deployment): Record<string, string> {
  const replicas = d.spec!.replicas ?? 1;
  return { [DESIRED_REPLICAS]: String(replicas), [MAX_REPLICAS]: String(replicas + maxSurgeOf(d)) };
}

/**
 * isScalingEvent: spec.replicas changed since the active ReplicaSets were last sized (their
 * desired-replicas annotation says otherwise). A scaling event resizes the ReplicaSets as they are
 * instead of stepping a rollout, which only ever grows the new one.
 */
export function isScalingEvent(d: V1Deployment, all: V1ReplicaSet[]): boolean {
  const replicas = String(d.spec!.replicas ?? 1);
  return all.some((rs) => specReplicas(rs) > 0 && rs.metadata?.annotations?.[DESIRED_REPLICAS] !== undefined && rs.metadata.annotations[DESIRED_REPLICAS] !== replicas);
}

/**
 * DeploymentController.scale: the size each ReplicaSet takes on a scaling event, by name. One active
 * ReplicaSet (or none: the new one) takes spec.replicas; a saturated new one leaves the old ones at
 * zero; during a rollout the difference is shared in proportion to each one's size (the remainder
 * to the largest), as upstream's GetProportion does.
 */
export function scaledSizes(d: V1Deployment, newRS: V1ReplicaSet, old: V1ReplicaSet[]): Map<string, number> {
  const replicas = d.spec!.replicas ?? 1;
  const name = (rs: V1ReplicaSet) => rs.metadata!.name!;
  const sizes = new Map([newRS, ...old].map((rs) => [name(rs), specReplicas(rs)]));
  const active = [newRS, ...old].filter((rs) => specReplicas(rs) > 0);
  // FindActiveOrLatest: no active ReplicaSet → the new one; exactly one → that one
  if (active.length <= 1) {
    sizes.set(name(active[0] ?? newRS), replicas);
    return sizes;
  }
  if (specReplicas(newRS) === replicas && (newRS.status?.availableReplicas ?? 0) >= replicas) {
    for (const rs of old) sizes.set(name(rs), 0);
    return sizes;
  }
  // proportional scaling is a RollingUpdate's; a Recreate in progress is left to its own steps
  if (d.spec!.strategy?.type === 'Recreate') return sizes;
  const allowed = replicas > 0 ? replicas + maxSurgeOf(d) : 0;
  const toAdd = allowed - totalReplicas(active);
  if (toAdd === 0) return sizes;
  // scaling up: the largest first, newer before older at equal size; scaling down: older first
  const order = [...active].sort((a, b) => specReplicas(b) - specReplicas(a) || (toAdd > 0 ? createdAt(b) - createdAt(a) : createdAt(a) - createdAt(b)));
  let added = 0;
  for (const rs of order) {
    const annotated = Number(rs.metadata?.annotations?.[MAX_REPLICAS] ?? d.status?.replicas ?? 0);
    const fraction = replicas === 0 || annotated <= 0 ? -specReplicas(rs) : Math.round((specReplicas(rs) * allowed) / annotated) - specReplicas(rs);
    const left = toAdd - added;
    const proportion = left === 0 ? 0 : toAdd > 0 ? Math.min(fraction, left) : Math.max(fraction, left);
    sizes.set(name(rs), specReplicas(rs) + proportion);
    added += proportion;
  }
  const largest = name(order[0]!);
  sizes.set(largest, Math.max(0, sizes.get(largest)! + toAdd - added));
  return sizes;
}
