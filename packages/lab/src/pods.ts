// Pod helpers the labs share: wait for a workload's pods, and run a one-shot pod (like
// `kubectl run --rm --restart=Never`) whose output is its log.
import type { V1Pod } from '@kubernetes/client-node';
import type { LabContext } from './scenario.js';
import { waitFor } from './wait.js';

export const isReady = (p: V1Pod) => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

export async function readyPods(ctx: LabContext, labelSelector: string, count: number, timeoutMs = 30_000, namespace = ctx.namespace): Promise<V1Pod[]> {
  return waitFor(`${count} ready pods with ${labelSelector}${namespace === ctx.namespace ? '' : ` in ${namespace}`}`, async () => {
    const pods = (await ctx.core.listNamespacedPod({ namespace, labelSelector })).items.filter((p) => !p.metadata!.deletionTimestamp);
    const waiting = pods.find((p) => p.status?.containerStatuses?.some((c) => c.state?.waiting?.reason === 'ErrImagePull'));
    if (waiting) throw new Error(waiting.status!.containerStatuses!.find((c) => c.state?.waiting)!.state!.waiting!.message);
    return pods.length === count && pods.every(isReady) && pods;
  }, timeoutMs);
}

export interface OneShot { pod: V1Pod; log: string; exitCode: number }

/** Runs a pod to completion with restartPolicy Never, returns its log, and deletes it. */
export async function runToCompletion(ctx: LabContext, name: string, image: string, command: string[], timeoutMs = 60_000): Promise<OneShot> {
  const namespace = ctx.namespace;
  await ctx.core.createNamespacedPod({ namespace, body: { metadata: { name, labels: { run: name } }, spec: { restartPolicy: 'Never', containers: [{ name, image, command }] } } });
  try {
    const pod = await waitFor(`pod ${name} to finish`, async () => {
      const p = await ctx.core.readNamespacedPod({ name, namespace });
      const waiting = p.status?.containerStatuses?.[0]?.state?.waiting;
      if (waiting?.reason === 'ErrImagePull') throw new Error(waiting.message);
      return (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p;
    }, timeoutMs, 100);
    const log = await ctx.core.readNamespacedPodLog({ name, namespace });
    const exitCode = pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode ?? -1;
    return { pod, log: String(log), exitCode };
  } finally {
    await ctx.core.deleteNamespacedPod({ name, namespace }).catch(() => undefined);
  }
}
