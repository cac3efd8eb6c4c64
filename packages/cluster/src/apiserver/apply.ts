// Server-side apply on top of field ownership: the managedFields bookkeeping of writes and applies.
import { fromFieldsV1, leafPaths, printPath, removePath, toFieldsV1, type ManagedFieldsEntry } from './managed-fields.js';
import { groupVersion, type ResourceType } from './resources.js';
import { strategicMergePatch } from './strategic.js';
import type { KubeObject } from './types.js';

type Obj = Record<string, any>;
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const entries = (o: KubeObject | undefined) => ((o?.metadata as Obj | undefined)?.managedFields ?? []) as ManagedFieldsEntry[];

export function applyEntry(t: ResourceType, config: Obj, manager: string): ManagedFieldsEntry {
  return { manager, operation: 'Apply', apiVersion: groupVersion(t), time: now(), fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(leafPaths(t.kind, config).keys()) };
}

/** A non-apply write: its manager takes the fields whose values it changed; fields it removed belong to no one. */
export function recordWrite(t: ResourceType, before: KubeObject | undefined, after: KubeObject, manager: string, operation: 'Update'): ManagedFieldsEntry[] {
  const prev = before ? leafPaths(t.kind, before) : new Map();
  const next = leafPaths(t.kind, after);
  const changed = [...next].filter(([p, v]) => !prev.has(p) || !same(prev.get(p), v)).map(([p]) => p);
  const gone = [...prev.keys()].filter((p) => !next.has(p));
  const drop = new Set([...changed, ...gone]);
  const out: ManagedFieldsEntry[] = [];
  let mine: Set<string> | undefined;
  for (const e of entries(before)) {
    const fields = [...fromFieldsV1(e.fieldsV1)];
    if (e.manager === manager && e.operation === operation) { mine = new Set(fields.filter((p) => !gone.includes(p))); continue; }
    const kept = fields.filter((p) => !drop.has(p));
    if (kept.length) out.push({ ...e, fieldsV1: toFieldsV1(kept) });
  }
  const owned = new Set([...(mine ?? []), ...changed]);
  if (owned.size) out.push({ manager, operation, apiVersion: groupVersion(t), time: now(), fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(owned) });
  return out;
}

export interface Conflict { manager: string; apiVersion: string; field: string }

export function mergeApplied(t: ResourceType, cur: KubeObject, config: Obj, manager: string, entry: ManagedFieldsEntry, force: boolean): { merged: Obj; conflicts: Conflict[] } {
  const applied = leafPaths(t.kind, config);
  const live = leafPaths(t.kind, cur);
  const mineBefore = entries(cur).find((e) => e.manager === manager && e.operation === 'Apply');
  const others = entries(cur).filter((e) => e !== mineBefore);
  const conflicts: Conflict[] = [];
  for (const e of others) {
    const theirs = fromFieldsV1(e.fieldsV1);
    for (const [p, v] of applied) if (theirs.has(p) && !p.endsWith('\u0000.') && live.has(p) && !same(live.get(p), v)) conflicts.push({ manager: e.manager, apiVersion: e.apiVersion, field: printPath(p) });
  }
  if (conflicts.length && !force) return { merged: {}, conflicts };
  const merged = strategicMergePatch(t.kind, cur, config) as Obj;
  const othersOwn = (p: string) => others.some((e) => fromFieldsV1(e.fieldsV1).has(p));
  for (const p of fromFieldsV1(mineBefore?.fieldsV1)) if (!applied.has(p) && !othersOwn(p)) removePath(merged, p);
  // forced: the applier takes the fields from the others; otherwise equal values are shared
  const kept = others.map((e) => (force ? { ...e, fieldsV1: toFieldsV1([...fromFieldsV1(e.fieldsV1)].filter((p) => !applied.has(p))) } : e))
    .filter((e) => fromFieldsV1(e.fieldsV1).size > 0);
  merged.metadata = { ...merged.metadata, managedFields: [...kept, entry] };
  return { merged, conflicts: [] };
}
