// The in-memory object store: one global resourceVersion counter (like etcd's revision),
// a bounded event history so watches can resume, and watchers fed on every write.
import { randomUUID } from 'node:crypto';
import { alreadyExists, ApiError, conflict, notFound } from './errors.js';
import type { ResourceType } from './resources.js';
import type { KubeObject, WatchEventType } from './types.js';

export interface StoredEvent {
  rv: number;
  type: WatchEventType;
  resource: ResourceType;
  object: KubeObject;
  /** the object before this write (MODIFIED / DELETED), for selector transitions */
  previous?: KubeObject;
}

export type Watcher = (event: StoredEvent) => void;


export class Store {
  /** @param history how many past events a watch can resume from (kube-apiserver keeps a few minutes' worth) */
  constructor(private readonly history_ = 10_000) {}

  private rv = 1;
  private readonly objects = new Map<string, { type: ResourceType; items: Map<string, KubeObject> }>();
  private readonly history: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();

  get resourceVersion(): number { return this.rv; }

  /** Oldest resourceVersion a watch can resume from (exclusive). */
  get oldestResumable(): number {
    return this.history.length === this.history_ ? this.history[0]!.rv - 1 : 0;
  }

  private bucket(t: ResourceType): Map<string, KubeObject> {
    const name = t.resource + '.' + t.group;
    let b = this.objects.get(name);
    if (!b) this.objects.set(name, (b = { type: t, items: new Map() }));
    return b.items;
  }

  private key(ns: string | undefined, name: string): string { return `${ns ?? ''}/${name}`; }

  get(t: ResourceType, ns: string | undefined, name: string): KubeObject {
    const obj = this.bucket(t).get(this.key(ns, name));
    if (!obj) throw notFound(t.resource, t.group, name);
    return structuredClone(obj);
  }

  tryGet(t: ResourceType, ns: string | undefined, name: string): KubeObject | undefined {
    const obj = this.bucket(t).get(this.key(ns, name));
    return obj && structuredClone(obj);
  }

  /**
   * Objects of a type, sorted by namespace and name. Copies unless `shared`: shared objects are the
   * stored ones, for read-only uses (serialising a list), which must not change them.
   */
  list(t: ResourceType, ns?: string, shared = false): KubeObject[] {
    const out: KubeObject[] = [];
    for (const obj of this.bucket(t).values()) {
      if (!ns || obj.metadata.namespace === ns) out.push(shared ? obj : structuredClone(obj));
    }
    return out.sort((a, b) => this.key(a.metadata.namespace, a.metadata.name!).localeCompare(this.key(b.metadata.namespace, b.metadata.name!)));
  }

  create(t: ResourceType, obj: KubeObject): KubeObject {
    const b = this.bucket(t);
    const k = this.key(obj.metadata.namespace, obj.metadata.name!);
    if (b.has(k)) throw alreadyExists(t.resource, t.group, obj.metadata.name!);
    obj.metadata.uid ??= randomUUID();
    obj.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return this.commit(t, 'ADDED', obj);
  }

  /** Replace the stored object; a non-empty expected resourceVersion must match (optimistic concurrency). */
  update(t: ResourceType, obj: KubeObject): KubeObject {
    const b = this.bucket(t);
    const k = this.key(obj.metadata.namespace, obj.metadata.name!);
    const cur = b.get(k);
    if (!cur) throw notFound(t.resource, t.group, obj.metadata.name!);
    const expected = obj.metadata.resourceVersion;
    if (expected && expected !== cur.metadata.resourceVersion) throw conflict(t.resource, t.group, obj.metadata.name!);
    obj.metadata.uid = cur.metadata.uid;
    obj.metadata.creationTimestamp = cur.metadata.creationTimestamp;
    return this.commit(t, 'MODIFIED', obj, cur);
  }

  delete(t: ResourceType, ns: string | undefined, name: string): KubeObject {
    const b = this.bucket(t);
    const cur = b.get(this.key(ns, name));
    if (!cur) throw notFound(t.resource, t.group, name);
    return this.commit(t, 'DELETED', structuredClone(cur), cur);
  }

  private commit(t: ResourceType, type: WatchEventType, obj: KubeObject, previous?: KubeObject): KubeObject {
    const rv = ++this.rv;
    obj.metadata.resourceVersion = String(rv);
    const b = this.bucket(t);
    const k = this.key(obj.metadata.namespace, obj.metadata.name!);
    if (type === 'DELETED') b.delete(k);
    else b.set(k, obj);
    // committed objects are never changed in place (writes store new objects), so the history shares them
    const event: StoredEvent = { rv, type, resource: t, object: obj, previous };
    this.history.push(event);
    if (this.history.length > this.history_) this.history.shift();
    for (const w of this.watchers) {
      try { w(event); } catch { /* a broken watcher must not break writes */ }
    }
    return structuredClone(obj);
  }

  /** Objects owned (ownerReferences) by the given uid, across all types. */
  dependents(uid: string): Array<{ type: ResourceType; object: KubeObject }> {
    const out: Array<{ type: ResourceType; object: KubeObject }> = [];
    for (const { type, items } of this.objects.values()) {
      for (const obj of items.values()) {
        if (obj.metadata.ownerReferences?.some((r) => r.uid === uid)) out.push({ type, object: structuredClone(obj) });
      }
    }
    return out;
  }

  findByUid(uid: string): { type: ResourceType; object: KubeObject } | undefined {
    for (const { type, items } of this.objects.values()) {
      for (const obj of items.values()) if (obj.metadata.uid === uid) return { type, object: structuredClone(obj) };
    }
    return undefined;
  }

  /** Events after `rv`, or an error when that point has left the history. */
  eventsSince(rv: number): StoredEvent[] {
    if (rv < this.oldestResumable) {
      throw new ApiError(410, 'Expired', `too old resource version: ${rv} (${this.oldestResumable + 1})`);
    }
    return this.history.filter((e) => e.rv > rv);
  }

  watch(w: Watcher): () => void {
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }
}
