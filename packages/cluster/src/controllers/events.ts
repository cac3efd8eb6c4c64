// An event recorder like client-go's: core/v1 Events named <object>.<hex nanoseconds>, in the
// object's namespace, with upstream's reasons and messages supplied by the callers.
import type { CoreV1Api, KubernetesObject } from '@kubernetes/client-node';

export type EventType = 'Normal' | 'Warning';

const API_VERSION: Record<string, string> = { Pod: 'v1', Node: 'v1', Service: 'v1', Deployment: 'apps/v1', ReplicaSet: 'apps/v1', DaemonSet: 'apps/v1' };
export type EventKind = keyof typeof API_VERSION;

export interface Recorder {
  /** objects from list responses carry no kind (as upstream's), so the caller names it */
  event(kind: EventKind, obj: KubernetesObject, type: EventType, reason: string, message: string): void;
}

let lastNanos = 0n;
/** Unique, increasing nanoseconds: names sort in the order events happened, as upstream's do. */
function monotonicNanos(now: Date): bigint {
  const n = BigInt(now.getTime()) * 1_000_000n;
  lastNanos = n > lastNanos ? n : lastNanos + 1n;
  return lastNanos;
}

/** how many distinct events a recorder remembers for counting repeats (client-go's LRU holds 4096) */
const REMEMBERED = 4096;

export function eventRecorder(core: CoreV1Api, component: string, host?: string): Recorder {
  let last: Promise<unknown> = Promise.resolve(); // one at a time, so they are stored in the order they happened
  // client-go's EventCorrelator: the same event again (same object, type, reason, message) bumps the
  // stored one's count and lastTimestamp instead of adding one (kubectl shows "x5 over 2m")
  const seen = new Map<string, { name: string; namespace: string; count: number }>();
  return {
    event(kind, obj, type, reason, message) {
      const meta = obj.metadata!;
      const namespace = meta.namespace || 'default';
      const now = new Date();
      const key = JSON.stringify([kind, meta.namespace, meta.name, meta.uid, type, reason, message]);
      const before = seen.get(key);
      if (before) {
        seen.delete(key);
        seen.set(key, before); // most recent last: the oldest is forgotten first
        const count = ++before.count;
        const bump = () => core.patchNamespacedEvent({
          name: before.name, namespace: before.namespace,
          body: [{ op: 'replace', path: '/count', value: count }, { op: 'replace', path: '/lastTimestamp', value: now.toISOString() }],
        }).catch(() => undefined);
        last = last.then(bump);
        return;
      }
      const nanos = monotonicNanos(now);
      const name = `${meta.name}.${nanos.toString(16)}`;
      seen.set(key, { name, namespace, count: 1 });
      if (seen.size > REMEMBERED) seen.delete(seen.keys().next().value!);
      const create = () => core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name, namespace },
          involvedObject: { apiVersion: API_VERSION[kind], kind, name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion },
          reason, message, type, count: 1, firstTimestamp: now, lastTimestamp: now,
          source: { component, ...(host ? { host } : {}) },
          reportingComponent: component, reportingInstance: host ?? '',
        },
      }).catch(() => undefined); // events are best effort, as upstream's recorder
      last = last.then(create);
    },
  };
}
