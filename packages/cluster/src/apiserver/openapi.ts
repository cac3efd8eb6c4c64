// OpenAPI v3 discovery (/openapi/v3 and one document per group-version), generated from the resource
// registry: the operations we serve, tagged with x-kubernetes-group-version-kind and the query
// parameters we honour. That is what kubectl's query-param verifier reads before apply / create / edit
// (so they work without --validate=false). Schemas are not published yet: `kubectl explain` needs them.
import { createHash } from 'node:crypto';
import { groupVersion, resourceTypes, type ResourceType } from './resources.js';

type Doc = Record<string, unknown>;

const param = (name: string, where = 'query') => ({ name, in: where, ...(where === 'path' ? { required: true } : {}), schema: { type: where === 'query' && name === 'watch' ? 'boolean' : 'string' }, uniqueItems: true });
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'pretty'].map((n) => param(n));
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

function prefix(t: ResourceType): string {
  return t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
}

function operations(t: ResourceType): Record<string, Doc> {
  const gvk = { group: t.group, version: t.version, kind: t.kind };
  const op = (verb: string, action: string, extra: Doc = {}) => ({
    operationId: `${verb}${t.kind}`, 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk,
    responses: { 200: { description: 'OK' } }, ...extra,
  });
  const ns = t.namespaced ? [param('namespace', 'path')] : [];
  const collection = `${prefix(t)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.resource}`;
  const item = `${collection}/{name}`;
  const body = (types: string[]) => ({ requestBody: { content: Object.fromEntries(types.map((c) => [c, { schema: {} }])) } });
  const paths: Record<string, Doc> = {
    [collection]: {
      parameters: ns,
      get: op('list', 'list', { parameters: ['labelSelector', 'fieldSelector', 'resourceVersion', 'limit', 'continue', 'timeoutSeconds', 'allowWatchBookmarks'].map((n) => param(n)).concat(param('watch')) }),
      post: op('create', 'post', { parameters: WRITE_PARAMS, ...body(['application/json', 'application/yaml']) }),
    },
    [item]: {
      parameters: [param('name', 'path'), ...ns],
      get: op('read', 'get'),
      put: op('replace', 'put', { parameters: WRITE_PARAMS, ...body(['application/json', 'application/yaml']) }),
      patch: op('patch', 'patch', { parameters: [...WRITE_PARAMS, param('force')], ...body(PATCH_TYPES) }),
      delete: op('delete', 'delete', { parameters: ['dryRun', 'gracePeriodSeconds', 'propagationPolicy'].map((n) => param(n)) }),
    },
  };
  if (t.hasStatus) {
    paths[`${item}/status`] = {
      parameters: [param('name', 'path'), ...ns],
      get: op('read', 'get'), put: op('replace', 'put', { parameters: WRITE_PARAMS }), patch: op('patch', 'patch', { parameters: [...WRITE_PARAMS, param('force')], ...body(PATCH_TYPES) }),
    };
  }
  return paths;
}

const docKey = (t: ResourceType) => (t.group ? `apis/${t.group}/${t.version}` : `api/${t.version}`);

function build(): Map<string, { doc: Doc; hash: string }> {
  const byGV = new Map<string, ResourceType[]>();
  for (const t of resourceTypes) byGV.set(docKey(t), [...(byGV.get(docKey(t)) ?? []), t]);
  const out = new Map<string, { doc: Doc; hash: string }>();
  for (const [key, types] of byGV) {
    const doc = {
      openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0-svclab' },
      paths: Object.assign({}, ...types.map(operations)),
      components: { schemas: {} },
      'x-svclab-group-version': groupVersion(types[0]!),
    };
    out.set(key, { doc, hash: createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase() });
  }
  return out;
}

const docs = build();

export function openapiIndex(): Doc {
  return { paths: Object.fromEntries([...docs].map(([key, { hash }]) => [key, { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` }])) };
}

export function openapiDoc(key: string): Doc | undefined {
  return docs.get(key)?.doc;
}
