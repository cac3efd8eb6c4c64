// Legacy discovery documents (APIVersions, APIGroupList, APIResourceList), all from the resource registry.
import { groups, groupVersion, resourcesOf, resourceTypes, type ResourceType } from './resources.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const SUBRESOURCE_VERBS: Record<string, string[]> = {
  status: ['get', 'patch', 'update'], scale: ['get', 'patch', 'update'], binding: ['create'], log: ['get'],
  exec: ['create', 'get'], attach: ['create', 'get'], portforward: ['create', 'get'], eviction: ['create'],
  proxy: ['create', 'delete', 'get', 'patch', 'update'], finalize: ['update'],
};

export function apiVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(name: string, versions: string[]) {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList() {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups()].map(([name, versions]) => apiGroup(name, versions)) };
}

export function apiGroupDoc(name: string) {
  const versions = groups().get(name);
  return versions && { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(name, versions) };
}

function subresourceKind(t: ResourceType, s: string): string {
  const fixed: Record<string, string> = {
    scale: 'Scale', binding: 'Binding', eviction: 'Eviction', exec: 'PodExecOptions',
    attach: 'PodAttachOptions', portforward: 'PodPortForwardOptions', proxy: `${t.kind}ProxyOptions`,
  };
  return fixed[s] ?? t.kind;
}

function entry(t: ResourceType) {
  const main = {
    name: t.resource, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: VERBS,
    ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
    ...(t.categories.length ? { categories: t.categories } : {}),
  };
  const subs = t.subresources.map((s) => ({
    name: `${t.resource}/${s}`, singularName: '', namespaced: t.namespaced,
    kind: subresourceKind(t, s),
    ...(s === 'scale' ? { group: 'autoscaling', version: 'v1' } : {}),
    verbs: SUBRESOURCE_VERBS[s] ?? ['get'],
  }));
  return [main, ...subs];
}

export function apiResourceList(group: string, version: string) {
  const types = resourcesOf(group, version);
  if (types.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(types[0]!), resources: types.flatMap(entry) };
}

/** Which aggregated-discovery version the Accept header asks for (kubectl 1.32 asks v2, 1.29 v2beta1). */
export function aggregatedVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const part of (accept ?? '').split(',')) {
    if (!part.includes('as=APIGroupDiscoveryList') || !part.includes('g=apidiscovery.k8s.io')) continue;
    const v = part.match(/v=(v2beta1|v2)\b/)?.[1];
    if (v) return v as 'v2' | 'v2beta1';
  }
  return undefined;
}

export const aggregatedContentType = (v: string) => `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;

function discoveryResource(t: ResourceType) {
  return {
    resource: t.resource, singularResource: t.singular, scope: t.namespaced ? 'Namespaced' : 'Cluster', verbs: VERBS,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
    ...(t.categories.length ? { categories: t.categories } : {}),
    ...(t.subresources.length ? {
      subresources: t.subresources.map((sub) => ({
        subresource: sub, verbs: SUBRESOURCE_VERBS[sub] ?? ['get'],
        responseKind: sub === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : { group: t.group, version: t.version, kind: subresourceKind(t, sub) },
      })),
    } : {}),
  };
}

/** The aggregated discovery document: /api (the core group) or /apis (every named group). */
export function aggregatedDiscovery(core: boolean, version: 'v2' | 'v2beta1') {
  const names = core ? [''] : [...groups().keys()];
  return {
    kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {},
    items: names.map((g) => ({
      metadata: { name: g },
      versions: [...new Set(resourceTypes.filter((t) => t.group === g).map((t) => t.version))].map((v) => ({
        version: v, freshness: 'Current', resources: resourcesOf(g, v).map(discoveryResource),
      })),
    })),
  };
}
