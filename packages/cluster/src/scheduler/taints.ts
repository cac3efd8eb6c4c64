// Taint / toleration matching (k8s.io/api core/v1 toleration.go semantics) for NoSchedule and NoExecute.
import type { V1Taint, V1Toleration } from '@kubernetes/client-node';

function tolerated(t: V1Taint, tols: V1Toleration[]): boolean {
  return tols.some((x) => {
    if (x.effect && x.effect !== t.effect) return false;
    if (x.operator === 'Exists') return !x.key || x.key === t.key;
    return x.key === t.key && (x.value ?? '') === (t.value ?? '');
  });
}

export function tolerates(tols: V1Toleration[], taints: V1Taint[]): boolean {
  return taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute').every((t) => tolerated(t, tols));
}
