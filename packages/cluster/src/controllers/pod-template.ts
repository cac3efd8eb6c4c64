// Pods from a controller's template, named as upstream names them (<owner>-<5 random chars>),
// and the pod-template-hash (fnv-1a 32 of the template, encoded as rand.SafeEncodeString does).
import type { V1Pod, V1PodTemplateSpec } from '@kubernetes/client-node';
import { canonicalJson } from '@svclab/kube';

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

export function templateHash(template: V1PodTemplateSpec, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const text = canonicalJson(template) + (collisionCount ? String(collisionCount) : '');
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return String(h).split('').map((d) => SAFE[d.charCodeAt(0) % SAFE.length]).join('');
}

export function podFromTemplate(template: V1PodTemplateSpec, namespace: string, generateName: string, owner: NonNullable<V1Pod['metadata']>['ownerReferences'], extraLabels: Record<string, string> = {}): V1Pod {
  const t = structuredClone(template);
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { generateName, namespace, labels: { ...(t.metadata?.labels ?? {}), ...extraLabels }, annotations: t.metadata?.annotations, ownerReferences: owner },
    spec: t.spec!,
  };
}
