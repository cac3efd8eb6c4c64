// Strategic merge patch (apimachinery pkg/util/strategicpatch) for the kinds we serve. Lists merge by
// the patchMergeKey of k8s.io/api's struct tags (containers by name, ports by containerPort, …);
// lists without one are replaced; directives: $patch (replace / delete / merge), $setElementOrder,
// $retainKeys, $deleteFromPrimitiveList.
import { ApiError } from './errors.js';

type Json = unknown;
type J = Record<string, Json>;

export interface ListSchema { list: true; key?: string; primitiveMerge?: boolean; item?: Schema }
export interface Schema { [field: string]: Schema | ListSchema }

const byKey = (key: string, item?: Schema): ListSchema => ({ list: true, key, item });
const META: Schema = { finalizers: { list: true, primitiveMerge: true }, ownerReferences: byKey('uid') };
const CONTAINER: Schema = { ports: byKey('containerPort'), env: byKey('name'), volumeMounts: byKey('mountPath'), volumeDevices: byKey('devicePath') };
const POD_SPEC: Schema = {
  containers: byKey('name', CONTAINER), initContainers: byKey('name', CONTAINER), ephemeralContainers: byKey('name', CONTAINER),
  volumes: byKey('name'), imagePullSecrets: byKey('name'), hostAliases: byKey('ip'), topologySpreadConstraints: byKey('topologyKey'),
};
const CONDITIONS: Schema = { conditions: byKey('type') };
const WORKLOAD: Schema = { metadata: META, spec: { template: { metadata: META, spec: POD_SPEC } }, status: CONDITIONS };

const SCHEMAS: Record<string, Schema> = {
  Pod: { metadata: META, spec: POD_SPEC, status: CONDITIONS },
  Deployment: WORKLOAD, ReplicaSet: WORKLOAD, DaemonSet: WORKLOAD,
  Service: { metadata: META, spec: { ports: byKey('port') }, status: CONDITIONS },
  Node: { metadata: META, status: { conditions: byKey('type'), addresses: byKey('type') } },
  Namespace: { metadata: META, status: CONDITIONS },
};

/** The merge schema of a kind (list keys), shared with server-side apply's field ownership. */
export function schemaFor(kind: string): Schema {
  return SCHEMAS[kind] ?? { metadata: META };
}

const isObj = (v: Json): v is J => v !== null && typeof v === 'object' && !Array.isArray(v);
export const isList = (s: Schema | ListSchema | undefined): s is ListSchema => !!s && (s as ListSchema).list === true;

export function strategicMergePatch(kind: string, original: Json, patch: Json): Json {
  if (!isObj(patch)) throw new ApiError(400, 'BadRequest', 'the strategic merge patch must be a JSON object');
  return mergeMap(isObj(original) ? original : {}, patch, schemaFor(kind));
}

function mergeMap(original: J, patch: J, schema: Schema): J | undefined {
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') { const { $patch: _, ...rest } = patch; return stripDirectives(rest) as J; }
  const out: J = { ...original };
  const retain = patch.$retainKeys as string[] | undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/')) continue;
    if (v === null) { delete out[k]; continue; }
    const sub = schema[k];
    if (isList(sub) && Array.isArray(v)) out[k] = mergeList(Array.isArray(out[k]) ? (out[k] as Json[]) : [], v, sub);
    else if (isObj(v)) {
      const merged = mergeMap(isObj(out[k]) ? (out[k] as J) : {}, v, isList(sub) ? {} : (sub ?? {}));
      if (merged === undefined) delete out[k]; else out[k] = merged;
    } else out[k] = v;
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$deleteFromPrimitiveList/') && Array.isArray(out[k.slice(25)])) {
      const drop = new Set((v as Json[]).map((x) => JSON.stringify(x)));
      out[k.slice(25)] = (out[k.slice(25)] as Json[]).filter((x) => !drop.has(JSON.stringify(x)));
    }
    if (k.startsWith('$setElementOrder/')) {
      const field = k.slice(17);
      const sub = schema[field];
      if (Array.isArray(out[field])) out[field] = reorder(out[field] as Json[], v as Json[], isList(sub) ? sub.key : undefined);
    }
  }
  if (retain) for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  return out;
}

function mergeList(original: Json[], patch: Json[], schema: ListSchema): Json[] {
  if (patch.some((p) => isObj(p) && p.$patch === 'replace')) return stripDirectives(patch.filter((p) => !(isObj(p) && p.$patch === 'replace'))) as Json[];
  if (schema.primitiveMerge) {
    const seen = new Set(original.map((x) => JSON.stringify(x)));
    return [...original, ...patch.filter((x) => !seen.has(JSON.stringify(x)))];
  }
  if (!schema.key) return stripDirectives(patch) as Json[];
  const key = schema.key;
  const out = [...original];
  for (const p of patch) {
    if (!isObj(p)) continue;
    const i = out.findIndex((o) => isObj(o) && o[key] === p[key]);
    if (p.$patch === 'delete') { if (i >= 0) out.splice(i, 1); continue; }
    if (i >= 0) {
      const merged = mergeMap(out[i] as J, p, schema.item ?? {});
      if (merged === undefined) out.splice(i, 1); else out[i] = merged;
    } else out.push(mergeMap({}, p, schema.item ?? {})!);
  }
  return out;
}

/** $setElementOrder: the patched list in the order the patch gives; items it does not name follow. */
function reorder(list: Json[], order: Json[], key?: string): Json[] {
  const id = (x: Json) => (key && isObj(x) ? JSON.stringify(x[key]) : JSON.stringify(x));
  const rank = new Map(order.map((o, i) => [id(o), i]));
  return [...list].sort((a, b) => (rank.get(id(a)) ?? Infinity) - (rank.get(id(b)) ?? Infinity));
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObj(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('$')).map(([k, x]) => [k, stripDirectives(x)]));
}
