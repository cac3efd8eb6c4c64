// Field ownership for server-side apply (sigs.k8s.io/structured-merge-digest, simplified): each manager's
// set of leaf paths, kept in metadata.managedFields as FieldsV1. Items of keyed lists are named by their
// merge key (k:{"name":"nginx"}), other lists are owned whole.
import { isList, schemaFor, type ListSchema, type Schema } from './strategic.js';

type Json = unknown;
type J = Record<string, Json>;

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: J;
  subresource?: string;
}

const isObj = (v: Json): v is J => v !== null && typeof v === 'object' && !Array.isArray(v);
/** Fields nobody owns: identity, server-set bookkeeping, and the status of a main-resource write. */
const UNOWNED_META = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink']);

/** Leaf paths of an object, as "f:spec/f:replicas" style segments joined by "\u0000". */
export function leafPaths(kind: string, obj: J): Map<string, Json> {
  const out = new Map<string, Json>();
  const walk = (v: Json, schema: Schema | ListSchema | undefined, path: string[]) => {
    if (isObj(v) && !isList(schema) && Object.keys(v).length) {
      for (const [k, x] of Object.entries(v)) walk(x, (schema as Schema | undefined)?.[k], [...path, `f:${k}`]);
      return;
    }
    if (Array.isArray(v) && isList(schema) && schema.key && v.every((x) => isObj(x) && (x as J)[schema.key!] !== undefined)) {
      for (const item of v as J[]) {
        const p = [...path, `k:${JSON.stringify({ [schema.key]: item[schema.key] })}`];
        out.set([...p, '.'].join('\u0000'), true);
        for (const [k, x] of Object.entries(item)) walk(x, schema.item?.[k], [...p, `f:${k}`]);
      }
      return;
    }
    out.set(path.join('\u0000'), v);
  };
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status') continue;
    if (k === 'metadata' && isObj(v)) {
      for (const [mk, mv] of Object.entries(v)) if (!UNOWNED_META.has(mk)) walk(mv, undefined, ['f:metadata', `f:${mk}`]);
      continue;
    }
    walk(v, schemaFor(kind)[k], [`f:${k}`]);
  }
  return out;
}

export function toFieldsV1(paths: Iterable<string>): J {
  const root: J = {};
  for (const p of paths) {
    let cur = root;
    for (const seg of p.split('\u0000')) cur = (cur[seg] ??= {}) as J;
  }
  return root;
}

export function fromFieldsV1(f: J | undefined): Set<string> {
  const out = new Set<string>();
  const walk = (node: J, path: string[]) => {
    const keys = Object.keys(node);
    if (keys.length === 0 && path.length) { out.add(path.join('\u0000')); return; }
    for (const k of keys) walk(node[k] as J, [...path, k]);
  };
  if (f) walk(f, []);
  return out;
}

/** ".spec.replicas" as upstream prints a field path in a conflict. */
export function printPath(p: string): string {
  return p.split('\u0000').filter((s) => s !== '.').map((s) => (s.startsWith('f:') ? `.${s.slice(2)}` : `[${s.slice(2).replace(/^\{"([^"]+)":(.*)\}$/, '$1=$2')}]`)).join('');
}

/** Removes the value at a path from an object (keyed list items by their key). */
export function removePath(obj: J, path: string): void {
  const segs = path.split('\u0000').filter((s) => s !== '.');
  const parents: Array<[J | Json[], string | number]> = [];
  let cur: Json = obj;
  for (const seg of segs) {
    if (seg.startsWith('f:') && isObj(cur)) { parents.push([cur, seg.slice(2)]); cur = cur[seg.slice(2)]; continue; }
    if (seg.startsWith('k:') && Array.isArray(cur)) {
      const [[k, v]] = Object.entries(JSON.parse(seg.slice(2)) as J) as [[string, Json]];
      const i = cur.findIndex((x) => isObj(x) && x[k] === v);
      if (i < 0) return;
      parents.push([cur, i]); cur = cur[i]; continue;
    }
    return;
  }
  const last = parents.pop();
  if (!last) return;
  const [parent, key] = last;
  if (Array.isArray(parent)) parent.splice(key as number, 1); else delete parent[key as string];
}
