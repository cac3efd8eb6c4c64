import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { fenceposts, isScalingEvent, newReplicaSetSize, oldScaleDownBudget, scaled, scaledSizes } from '../src/controllers/rollout.js';

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

describe('Deployment scaling events (spec.replicas changed)', () => {
  const named = (name: string, replicas: number, desired: number | undefined, extra: Partial<V1ReplicaSet['metadata']> = {}, available = replicas): V1ReplicaSet => ({
    metadata: { name, annotations: desired === undefined ? {} : { 'deployment.kubernetes.io/desired-replicas': String(desired), 'deployment.kubernetes.io/max-replicas': String(desired + 1) }, ...extra },
    spec: { replicas, selector: {} }, status: { replicas, availableReplicas: available },
  });

  it('is one when an active ReplicaSet recorded another size; inactive or unannotated ones do not count', () => {
    expect(isScalingEvent(deploy(2), [named('a', 3, 3)])).toBe(true);
    expect(isScalingEvent(deploy(3), [named('a', 3, 3)])).toBe(false);
    expect(isScalingEvent(deploy(2), [named('a', 0, 3), named('b', 2, 2)])).toBe(false);
    expect(isScalingEvent(deploy(2), [named('a', 3, undefined)])).toBe(false);
  });

  it('scales the only active ReplicaSet down and up to spec.replicas', () => {
    const old = named('old', 0, 3);
    expect(scaledSizes(deploy(2), named('new', 3, 3), [old])).toEqual(new Map([['new', 2], ['old', 0]]));
    expect(scaledSizes(deploy(5), named('new', 3, 3), [old])).toEqual(new Map([['new', 5], ['old', 0]]));
  });

  it('leaves the old ones at zero when the new one is saturated', () => {
    expect(scaledSizes(deploy(2), named('new', 2, 2), [named('old', 1, 3)])).toEqual(new Map([['new', 2], ['old', 0]]));
  });

  it('shares a change during a rollout in proportion to the sizes, the remainder to the largest (GetProportion)', () => {
    // 10 replicas, maxSurge 3: new 6 + old 7 = 13 = 10 + 3, annotated max 13; scaled to 20 (max 25)
    const max13 = { annotations: { 'deployment.kubernetes.io/desired-replicas': '10', 'deployment.kubernetes.io/max-replicas': '13' } };
    const sizes = scaledSizes(deploy(20), named('new', 6, 10, { ...max13, creationTimestamp: new Date('2026-01-02') }, 0), [named('old', 7, 10, { ...max13, creationTimestamp: new Date('2026-01-01') })]);
    // 7 * 25 / 13 = 13.46 → 13; 6 * 25 / 13 = 11.5 → 12; 13 + 12 = 25 = 20 + ceil(25% of 20)
    expect(sizes).toEqual(new Map([['new', 12], ['old', 13]]));
    const down = scaledSizes(deploy(5), named('new', 6, 10, { ...max13, creationTimestamp: new Date('2026-01-02') }, 0), [named('old', 7, 10, { ...max13, creationTimestamp: new Date('2026-01-01') })]);
    // allowed 5 + 2 = 7: 7 * 7 / 13 = 3.77 → 4 (old, the largest), 6 * 7 / 13 = 3.23 → 3
    expect(down).toEqual(new Map([['new', 3], ['old', 4]]));
  });
});
