import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { fenceposts, newReplicaSetSize, oldScaleDownBudget, scaled } from '../src/controllers/rollout.js';

const deploy = (replicas: number, maxSurge?: number | string, maxUnavailable?: number | string): V1Deployment =>
  ({ spec: { replicas, selector: {}, template: {}, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } } } });
const rs = (replicas: number, available = replicas): V1ReplicaSet => ({ metadata: {}, spec: { replicas, selector: {} }, status: { replicas, availableReplicas: available } });

describe('Deployment rollout arithmetic', () => {
  it('resolves percentages as upstream: maxSurge rounds up, maxUnavailable down, never both zero', () => {
    expect(scaled('25%', 3, true)).toBe(1);
    expect(scaled('25%', 3, false)).toBe(0);
    expect(fenceposts(deploy(3))).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(fenceposts(deploy(10))).toEqual({ maxSurge: 3, maxUnavailable: 2 });
    expect(fenceposts(deploy(3, 0, 0))).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });

  it('steps a 3-replica rollout one pod at a time with the 25% defaults', () => {
    const d = deploy(3);
    const old = rs(3);
    const fresh = rs(0, 0);
    // surge: one new pod above the 3
    expect(newReplicaSetSize(d, [old, fresh], fresh)).toBe(1);
    const one = rs(1, 0);
    // the new pod is not available yet: no old pod may go (minAvailable 3)
    expect(oldScaleDownBudget(d, [old, one], one)).toBe(0);
    expect(newReplicaSetSize(d, [old, one], one)).toBe(1);
    // once it is available, one old pod may go
    expect(oldScaleDownBudget(d, [old, rs(1, 1)], rs(1, 1))).toBe(1);
  });
});
