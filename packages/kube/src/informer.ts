// client-node informers that keep running: client-node stops a ListWatch on a watch error and
// leaves restarting to the caller, so we restart with a short backoff, as client-go's reflector does.
import { KubeConfig, ListWatch, Watch, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';

export interface WatchSpec<T extends KubernetesObject> {
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface Handlers<T> {
  add?: (obj: T) => void;
  update?: (obj: T, old?: T) => void;
  delete?: (obj: T) => void;
}

export interface RunningInformer<T extends KubernetesObject> {
  cache: ListWatch<T>;
  stop: () => Promise<void>;
}

export async function startInformer<T extends KubernetesObject>(kc: KubeConfig, spec: WatchSpec<T>, h: Handlers<T>): Promise<RunningInformer<T>> {
  const lw = new ListWatch<T>(spec.path, new Watch(kc), spec.list, false, spec.labelSelector, spec.fieldSelector);
  let stopped = false;
  if (h.add) lw.on('add', h.add);
  if (h.update) lw.on('update', h.update);
  if (h.delete) lw.on('delete', h.delete);
  lw.on('error', () => {
    if (stopped) return;
    setTimeout(() => { if (!stopped) lw.start().catch(() => undefined); }, 500);
  });
  await lw.start();
  return { cache: lw, stop: async () => { stopped = true; await lw.stop(); } };
}
