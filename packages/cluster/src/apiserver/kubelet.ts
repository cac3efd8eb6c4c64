// What the apiserver needs from a node's kubelet: the seam the node agents implement.
import type { Readable, Writable } from 'node:stream';
import type { KubeObject } from './types.js';

export interface LogOptions {
  container?: string;
  follow?: boolean;
  tailLines?: number;
  /** sinceSeconds / sinceTime, as ms since the epoch */
  since?: number;
  timestamps?: boolean;
  limitBytes?: number;
}

export interface StreamOptions { container: string; stdin: boolean; tty: boolean }

/** A running exec or attach: the process's streams and how it ended. */
export interface StreamSession {
  stdin?: Writable;
  stdout: Readable;
  stderr?: Readable;
  /** exit code of the command (exec) or container (attach); undefined when the stream ended otherwise */
  done: Promise<{ exitCode?: number; error?: string }>;
  /** stops the stream (the client went away); an exec'd process is killed */
  close(): void;
}

export interface KubeletApi {
  /** Container log of a pod on this node; rejects with a message when it has none. */
  logs(pod: KubeObject, opts: LogOptions): Promise<Readable>;
  /** `kubectl exec`: a new process in the container's namespaces. */
  exec(pod: KubeObject, command: string[], opts: StreamOptions): Promise<StreamSession>;
  /** `kubectl attach` / `run -i`: the container's own stdin and output from now on. */
  attach(pod: KubeObject, opts: StreamOptions): Promise<StreamSession>;
}

export class KubeletDirectory {
  private readonly nodes = new Map<string, KubeletApi>();
  register(node: string, api: KubeletApi): void { this.nodes.set(node, api); }
  unregister(node: string): void { this.nodes.delete(node); }
  get(node: string): KubeletApi | undefined { return this.nodes.get(node); }
}
