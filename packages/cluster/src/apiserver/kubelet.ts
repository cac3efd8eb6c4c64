// What the apiserver needs from a node's kubelet: the seam the node agents implement.
import type { Readable } from 'node:stream';
import type { KubeObject } from './types.js';

export interface LogOptions { container?: string; follow?: boolean; tailLines?: number }

export interface KubeletApi {
  /** Container log of a pod on this node; rejects with a message when it has none. */
  logs(pod: KubeObject, opts: LogOptions): Promise<Readable>;
}

export class KubeletDirectory {
  private readonly nodes = new Map<string, KubeletApi>();
  register(node: string, api: KubeletApi): void { this.nodes.set(node, api); }
  unregister(node: string): void { this.nodes.delete(node); }
  get(node: string): KubeletApi | undefined { return this.nodes.get(node); }
}
