import type { V1Pod } from '@kubernetes/client-node';
import type { WorkQueue } from '@svclab/kube';
import { controllerOf, type ControllerContext } from './context.js';

// Controller expectations (as client-go's): creations and deletions a controller has asked for but
// not yet seen in its informer cache, so a sync in between does not ask twice.
export class Expectations {
  private readonly pending = new Map<string, { creates: number; deletes: Set<string>; at: number }>();

  expect(key: string, creates: number, deletes: string[] = []): void {
    this.pending.set(key, { creates, deletes: new Set(deletes), at: Date.now() });
  }

  created(key: string): void { const p = this.pending.get(key); if (p && p.creates > 0) p.creates--; }
  deleted(key: string, name: string): void { this.pending.get(key)?.deletes.delete(name); }

  /** true when nothing is outstanding (or it has been outstanding for too long to still trust) */
  satisfied(key: string): boolean {
    const p = this.pending.get(key);
    if (!p) return true;
    if ((p.creates <= 0 && p.deletes.size === 0) || Date.now() - p.at > 30_000) { this.pending.delete(key); return true; }
    return false;
  }
}

/** Requeues a workload when a pod it controls changes, settling its expectations as pods appear and go. */
export function queueOwnerOfPods(ctx: ControllerContext, kind: string, queue: WorkQueue, expectations: Expectations): void {
  const ownerKey = (p: V1Pod) => {
    const c = controllerOf(p);
    return c?.kind === kind ? `${p.metadata!.namespace}/${c.name}` : undefined;
  };
  ctx.on<V1Pod>('pods', {
    add: (p) => { const k = ownerKey(p); if (k) { expectations.created(k); queue.add(k); } },
    update: (p) => { const k = ownerKey(p); if (k) queue.add(k); },
    delete: (p) => { const k = ownerKey(p); if (k) { expectations.deleted(k, p.metadata!.name!); queue.add(k); } },
  });
}
