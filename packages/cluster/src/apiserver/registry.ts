// The write semantics of the apiserver on top of the store: metadata, defaulting, validation,
// ClusterIP allocation, status subresources, optimistic concurrency and cascading deletion.
import { canonicalJson } from '@svclab/kube';
import { ApiError, badRequest, invalid } from './errors.js';
import { applyDefaults } from './defaults.js';
import { jsonPatch, mergePatch } from './patch.js';
import { ServiceAllocator, type Pending } from './service-alloc.js';
import { checkShape } from './shape.js';
import { applyEntry, mergeApplied, recordWrite } from './apply.js';
import { strategicMergePatch } from './strategic.js';
import { findResource, groupVersion, resourceTypes, type ResourceType } from './resources.js';
import type { Store } from './store.js';
import type { KubeObject } from './types.js';
import { validate } from './validation.js';

type Obj = Record<string, any>;

const NAME_SUFFIX = 'bcdfghjklmnpqrstvwxz2456789';
export const randomSuffix = (n = 5) => Array.from({ length: n }, () => NAME_SUFFIX[Math.floor(Math.random() * NAME_SUFFIX.length)]).join('');

export interface WriteOptions {
  dryRun?: boolean;
  /** the field manager of this write (fieldManager, or the client's name from its User-Agent) */
  manager?: string;
}

export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: string;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class Registry {
  readonly services: ServiceAllocator;

  constructor(readonly store: Store, serviceCIDR: string) {
    this.services = new ServiceAllocator(serviceCIDR);
  }

  private stamp(t: ResourceType, obj: KubeObject): void {
    obj.apiVersion = groupVersion(t);
    obj.kind = t.kind;
  }

  private checkNamespace(t: ResourceType, ns: string | undefined, name: string): void {
    if (!t.namespaced || !ns) return;
    const nsType = findResource('', 'v1', 'namespaces')!;
    const found = this.store.tryGet(nsType, undefined, ns);
    if (!found) throw new ApiError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
    if ((found as Obj).status?.phase === 'Terminating') {
      throw new ApiError(403, 'Forbidden', `${t.resource} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`);
    }
  }

  create(t: ResourceType, ns: string | undefined, body: KubeObject, opts: WriteOptions = {}): KubeObject {
    checkShape(t, body);
    if (!body.metadata) body = { ...body, metadata: {} };
    const meta = body.metadata;
    if (t.namespaced) {
      if (meta.namespace && ns && meta.namespace !== ns) {
        throw badRequest(`the namespace of the provided object does not match the namespace sent on the request`);
      }
      meta.namespace = ns ?? meta.namespace ?? 'default';
    } else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    this.checkNamespace(t, meta.namespace, meta.name ?? '');
    for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp'] as const) delete meta[k];
    this.stamp(t, body);
    applyDefaults(t.kind, body);
    if (t.kind === 'Ingress') this.defaultIngressClass(body as Obj);
    if ((body as Obj).spec && t.kind !== 'Pod') meta.generation = 1;
    validate(t, body);
    if (opts.manager && !meta.managedFields) meta.managedFields = recordWrite(t, undefined, body, opts.manager, 'Update');
    const pending = t.kind === 'Service' ? this.services.create(body as Obj) : undefined;
    if (opts.dryRun) { pending?.rollback(); return body; }
    try {
      return this.store.create(t, body);
    } catch (e) {
      pending?.rollback();
      throw e;
    }
  }

  /** the DefaultIngressClass admission plugin: an Ingress created without a class gets the default one (the newest, if several) */
  private defaultIngressClass(ing: Obj): void {
    if (ing.spec?.ingressClassName || ing.metadata?.annotations?.['kubernetes.io/ingress.class']) return;
    const classes = this.store.list(findResource('networking.k8s.io', 'v1', 'ingressclasses')!) as Obj[];
    const defaults = classes.filter((c) => c.metadata?.annotations?.['ingressclass.kubernetes.io/is-default-class'] === 'true')
      .sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)));
    if (defaults.length) ing.spec = { ...(ing.spec ?? {}), ingressClassName: defaults[0]!.metadata.name };
  }

  update(t: ResourceType, ns: string | undefined, name: string, body: KubeObject, sub?: string, opts: WriteOptions & { applied?: boolean } = {}): KubeObject {
    const cur = this.store.get(t, ns, name) as Obj;
    let pending: Pending | undefined;
    if (body?.metadata?.name && body.metadata.name !== name) {
      throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    }
    let next: Obj;
    if (sub === 'status') {
      checkShape(t, body);
      next = { ...cur, status: (body as Obj).status, metadata: { ...cur.metadata, resourceVersion: body.metadata?.resourceVersion } };
    } else if (sub) {
      throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    } else {
      checkShape(t, body);
      next = structuredClone(body) as Obj;
      next.metadata = { ...next.metadata, name, namespace: cur.metadata.namespace };
      this.stamp(t, next as KubeObject);
      if (t.hasStatus) next.status = cur.status;
      applyDefaults(t.kind, next as KubeObject);
      validate(t, next as KubeObject);
      pending = t.kind === 'Service' ? this.services.update(next, cur) : undefined;
      // ownership: an apply brings its own managedFields; any other write takes the fields it changed
      if (!opts.applied) next.metadata.managedFields = opts.manager ? recordWrite(t, cur as KubeObject, next as KubeObject, opts.manager, 'Update') : cur.metadata.managedFields;
      if (cur.metadata.generation !== undefined) {
        next.metadata.generation = canonicalJson(next.spec) === canonicalJson(cur.spec) ? cur.metadata.generation : cur.metadata.generation + 1;
      }
    }
    // deletion state is the server's: clients cannot set or clear it
    next.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
    next.metadata.deletionGracePeriodSeconds = cur.metadata.deletionGracePeriodSeconds;
    if (!next.metadata.deletionTimestamp) { delete next.metadata.deletionTimestamp; delete next.metadata.deletionGracePeriodSeconds; }
    if (opts.dryRun) { pending?.rollback(); return next as KubeObject; }
    let stored: KubeObject;
    try { stored = this.store.update(t, next as KubeObject); } catch (e) { pending?.rollback(); throw e; }
    pending?.commit();
    if (stored.metadata.deletionTimestamp && !stored.metadata.finalizers?.length && t.kind !== 'Pod') return this.remove(t, stored, 'Background');
    return stored;
  }

  patch(t: ResourceType, ns: string | undefined, name: string, contentType: string, patch: unknown, sub?: string, opts: WriteOptions = {}): KubeObject {
    const cur = this.store.get(t, ns, name);
    let next: unknown;
    if (contentType.startsWith('application/json-patch+json')) {
      if (!Array.isArray(patch)) throw badRequest('the JSON patch must be an array of operations');
      next = jsonPatch(cur, patch);
    } else if (contentType.startsWith('application/merge-patch+json')) {
      next = mergePatch(cur, patch);
    } else if (contentType.startsWith('application/strategic-merge-patch+json')) {
      next = strategicMergePatch(t.kind, cur, patch);
    } else {
      throw new ApiError(415, 'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
    }
    checkShape(t, next);
    const obj = next as KubeObject;
    obj.metadata ??= {};
    obj.metadata.resourceVersion ||= cur.metadata.resourceVersion;
    return this.update(t, ns, name, obj, sub, opts);
  }

  delete(t: ResourceType, ns: string | undefined, name: string, opts: DeleteOptions = {}): KubeObject {
    const cur = this.store.get(t, ns, name) as Obj;
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== cur.metadata.uid) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${t.resource} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`);
    }
    if (opts.dryRun) return cur as KubeObject;
    if (t.kind === 'Namespace') return this.terminateNamespace(t, cur as KubeObject);
    if (opts.propagationPolicy === 'Foreground' && this.store.dependents(cur.metadata.uid).length) return this.deleteInForeground(t, cur as KubeObject);
    // a pod running on a node terminates first: its kubelet stops it, then deletes it for good
    const grace = t.kind === 'Pod' ? this.podGrace(cur, opts.gracePeriodSeconds) : 0;
    if (grace > 0 || cur.metadata.finalizers?.length) {
      const due = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      if (cur.metadata.deletionTimestamp && (cur.metadata.deletionGracePeriodSeconds ?? 0) <= grace) return cur as KubeObject;
      cur.metadata.deletionTimestamp = grace > 0 ? due : (cur.metadata.deletionTimestamp ?? now());
      cur.metadata.deletionGracePeriodSeconds = grace;
      delete cur.metadata.resourceVersion;
      return this.store.update(t, cur as KubeObject);
    }
    return this.remove(t, cur as KubeObject, opts.propagationPolicy ?? 'Background');
  }

  /** Upstream's pod grace period: the request's, else the pod's; none for unscheduled or finished pods. */
  private podGrace(pod: Obj, requested?: number): number {
    if (!pod.spec?.nodeName || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
    return Math.max(0, requested ?? pod.spec.terminationGracePeriodSeconds ?? 30);
  }

  private remove(t: ResourceType, cur: KubeObject, propagation: string): KubeObject {
    const removed = this.store.delete(t, cur.metadata.namespace, cur.metadata.name!);
    if (t.kind === 'Service') this.services.release(removed as Obj);
    this.collectDependents(removed, propagation);
    this.settleOwners(removed);
    if (removed.metadata.namespace) this.settleNamespace(removed.metadata.namespace);
    return removed;
  }

  private markDeleting(t: ResourceType, cur: KubeObject, finalizer?: string): KubeObject {
    cur.metadata.deletionTimestamp ??= now();
    cur.metadata.deletionGracePeriodSeconds ??= 0;
    if (finalizer && !cur.metadata.finalizers?.includes(finalizer)) cur.metadata.finalizers = [...(cur.metadata.finalizers ?? []), finalizer];
    delete cur.metadata.resourceVersion;
    return this.store.update(t, cur);
  }

  /** Foreground propagation: the owner waits (finalizer foregroundDeletion) until its dependents are gone. */
  private deleteInForeground(t: ResourceType, cur: KubeObject): KubeObject {
    const marked = this.markDeleting(t, cur, 'foregroundDeletion');
    for (const { type, object } of this.store.dependents(cur.metadata.uid!)) {
      if (this.store.tryGet(type, object.metadata.namespace, object.metadata.name!)) this.delete(type, object.metadata.namespace, object.metadata.name!, { propagationPolicy: 'Foreground' });
    }
    this.settleOwner(cur.metadata.uid!);
    return this.store.tryGet(t, cur.metadata.namespace, cur.metadata.name!) ?? marked;
  }

  private settleOwners(removed: KubeObject): void {
    for (const ref of removed.metadata.ownerReferences ?? []) this.settleOwner(ref.uid);
  }

  /** An owner waiting in foreground deletion whose last dependent just went is deleted now. */
  private settleOwner(uid: string): void {
    if (this.store.dependents(uid).length) return;
    const owner = this.store.findByUid(uid);
    if (!owner || !owner.object.metadata.finalizers?.includes('foregroundDeletion')) return;
    owner.object.metadata.finalizers = owner.object.metadata.finalizers.filter((f) => f !== 'foregroundDeletion');
    delete owner.object.metadata.resourceVersion;
    const updated = this.store.update(owner.type, owner.object);
    if (!updated.metadata.finalizers?.length) this.remove(owner.type, updated, 'Background');
  }

  /** The namespace controller's part: Terminating, its content deleted (pods gracefully), gone once empty. */
  private terminateNamespace(t: ResourceType, cur: KubeObject): KubeObject {
    const ns = cur.metadata.name!;
    if (!cur.metadata.deletionTimestamp) {
      (cur as Obj).status = { ...((cur as Obj).status ?? {}), phase: 'Terminating' };
      this.markDeleting(t, cur);
      for (const type of resourceTypes.filter((r) => r.namespaced)) {
        for (const obj of this.store.list(type, ns)) {
          if (this.store.tryGet(type, ns, obj.metadata.name!)) this.delete(type, ns, obj.metadata.name!, { propagationPolicy: 'Background' });
        }
      }
    }
    this.settleNamespace(ns);
    return this.store.tryGet(t, undefined, ns) ?? cur;
  }

  private settleNamespace(ns: string): void {
    const nsType = findResource('', 'v1', 'namespaces')!;
    const nsObj = this.store.tryGet(nsType, undefined, ns);
    if (!nsObj?.metadata.deletionTimestamp) return;
    if (resourceTypes.some((type) => type.namespaced && this.store.list(type, ns).length > 0)) return;
    this.store.delete(nsType, undefined, ns);
  }

  /** Garbage collection: dependents go with their owner, unless the deletion orphans them. */
  private collectDependents(owner: KubeObject, propagation: string): void {
    for (const { type, object } of this.store.dependents(owner.metadata.uid!)) {
      if (propagation === 'Orphan') {
        object.metadata.ownerReferences = object.metadata.ownerReferences!.filter((r) => r.uid !== owner.metadata.uid);
        if (object.metadata.ownerReferences.length === 0) delete object.metadata.ownerReferences;
        this.store.update(type, object);
        continue;
      }
      const still = this.store.tryGet(type, object.metadata.namespace, object.metadata.name!);
      if (still) this.delete(type, object.metadata.namespace, object.metadata.name!, { propagationPolicy: propagation });
    }
  }



  /** Server-side apply: creates the object when absent, else merges the applied configuration, drops the
   * fields this manager applied before and no longer does, and refuses to take fields other managers own
   * with other values unless forced. Returns the object and whether it was created. */
  apply(t: ResourceType, ns: string | undefined, name: string, config: unknown, opts: WriteOptions & { force?: boolean }): { object: KubeObject; created: boolean } {
    checkShape(t, config);
    const cfg = config as Obj;
    const manager = opts.manager;
    if (!manager) throw badRequest('fieldManager is required for apply requests');
    if (cfg.metadata?.name && cfg.metadata.name !== name) throw badRequest(`the name of the object (${cfg.metadata.name}) does not match the name on the URL (${name})`);
    const cur = this.store.tryGet(t, ns, name) as Obj | undefined;
    const entry = applyEntry(t, cfg, manager);
    if (!cur) {
      const obj = { ...cfg, metadata: { ...(cfg.metadata ?? {}), name, managedFields: [entry] } } as KubeObject;
      return { object: this.create(t, ns, obj, { ...opts, manager: undefined }), created: true };
    }
    const { merged, conflicts } = mergeApplied(t, cur as KubeObject, cfg, manager, entry, !!opts.force);
    if (conflicts.length) {
      const list = conflicts.map((c) => `conflict with "${c.manager}" using ${c.apiVersion}: ${c.field}`);
      throw new ApiError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${list.join('\n')}`,
        { causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}" using ${c.apiVersion}`, field: c.field })) });
    }
    merged.metadata.resourceVersion = cur.metadata.resourceVersion;
    return { object: this.update(t, ns, name, merged as KubeObject, undefined, { ...opts, applied: true }), created: false };
  }

  /** The autoscaling/v1 Scale view of a workload (the /scale subresource). */
  getScale(t: ResourceType, ns: string | undefined, name: string): KubeObject {
    const o = this.store.get(t, ns, name) as Obj;
    const labels = o.spec?.selector?.matchLabels ?? {};
    return {
      kind: 'Scale', apiVersion: 'autoscaling/v1',
      metadata: { name, namespace: ns, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
      spec: { replicas: o.spec?.replicas ?? 0 },
      status: { replicas: o.status?.replicas ?? 0, selector: Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',') },
    };
  }

  updateScale(t: ResourceType, ns: string | undefined, name: string, scale: Obj, opts: WriteOptions = {}): KubeObject {
    const replicas = scale?.spec?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw invalid('Scale', 'autoscaling', name, [{ field: 'spec.replicas', message: `Invalid value: ${replicas}: must be greater than or equal to 0` }]);
    }
    const cur = this.store.get(t, ns, name) as Obj;
    const rv = scale.metadata?.resourceVersion;
    const next = { ...cur, metadata: { ...cur.metadata, resourceVersion: rv || cur.metadata.resourceVersion }, spec: { ...cur.spec, replicas } };
    this.update(t, ns, name, next as KubeObject, undefined, opts);
    return this.getScale(t, ns, name);
  }

  patchScale(t: ResourceType, ns: string | undefined, name: string, contentType: string, patch: unknown, opts: WriteOptions = {}): KubeObject {
    const cur = this.getScale(t, ns, name);
    const next = contentType.startsWith('application/json-patch+json') ? jsonPatch(cur, patch as never) : mergePatch(cur, patch);
    return this.updateScale(t, ns, name, next as Obj, opts);
  }

  bind(ns: string, name: string, binding: Obj): KubeObject {
    const podType = findResource('', 'v1', 'pods')!;
    const pod = this.store.get(podType, ns, name) as Obj;
    const node = binding?.target?.name;
    if (!node) throw invalid('Binding', '', name, [{ field: 'target.name', message: 'Required value', reason: 'FieldValueRequired' }]);
    if (pod.spec.nodeName) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
    }
    pod.spec.nodeName = node;
    pod.status.conditions = [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }];
    this.store.update(podType, pod as KubeObject);
    return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 } as unknown as KubeObject;
  }




}

