// The event wiring both endpoint controllers share: a Service changes, or a pod it selects does.
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import type { WorkQueue } from '@svclab/kube';
import { keyOf, type ControllerContext } from './context.js';
import { servicesSelecting } from './service-backends.js';

export function queueServicesAndTheirPods(ctx: ControllerContext, queue: WorkQueue): void {
  ctx.on<V1Service>('services', { add: (s) => queue.add(keyOf(s)), update: (s) => queue.add(keyOf(s)), delete: (s) => queue.add(keyOf(s)) });
  const podChanged = (p: V1Pod, old?: V1Pod) => {
    for (const s of servicesSelecting(ctx, p)) queue.add(keyOf(s));
    if (old) for (const s of servicesSelecting(ctx, old)) queue.add(keyOf(s));
  };
  ctx.on<V1Pod>('pods', { add: (p) => podChanged(p), update: podChanged, delete: (p) => podChanged(p) });
}
