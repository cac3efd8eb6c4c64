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
