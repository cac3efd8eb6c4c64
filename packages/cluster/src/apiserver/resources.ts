// The API types the embedded apiserver serves, and their discovery facts (kinds, short names, scope).
export interface ResourceType {
  group: string;
  version: string;
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: string[];
  /** has a status subresource: main-resource writes keep the stored status */
  hasStatus: boolean;
}


function rt(
  group: string, version: string, resource: string, kind: string, namespaced: boolean,
  extra: { shortNames?: string[]; categories?: string[]; subresources?: string[]; singular?: string } = {},
): ResourceType {
  const subresources = extra.subresources ?? [];
  return {
    group, version, resource, kind, namespaced,
    singular: extra.singular ?? kind.toLowerCase(),
    shortNames: extra.shortNames ?? [],
    categories: extra.categories ?? [],
    subresources,
    hasStatus: subresources.includes('status'),
  };
}

export const resourceTypes: ResourceType[] = [
  rt('', 'v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'], subresources: ['status', 'finalize'] }),
  rt('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'], subresources: ['status', 'proxy'] }),
  rt('', 'v1', 'pods', 'Pod', true, {
    shortNames: ['po'], categories: ['all'],
    subresources: ['status', 'binding', 'log', 'exec', 'attach', 'portforward', 'eviction'],
  }),
  rt('', 'v1', 'services', 'Service', true, { shortNames: ['svc'], categories: ['all'], subresources: ['status', 'proxy'] }),
  rt('', 'v1', 'endpoints', 'Endpoints', true, { shortNames: ['ep'], singular: 'endpoints' }),
  rt('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  rt('', 'v1', 'secrets', 'Secret', true),
  rt('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
  rt('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  rt('apps', 'v1', 'deployments', 'Deployment', true, { shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] }),
  rt('apps', 'v1', 'replicasets', 'ReplicaSet', true, { shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] }),
  rt('apps', 'v1', 'daemonsets', 'DaemonSet', true, { shortNames: ['ds'], categories: ['all'], subresources: ['status'] }),
  rt('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  rt('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  rt('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, { shortNames: ['ing'], subresources: ['status'] }),
  rt('networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', false),
];

export function groupVersion(t: ResourceType): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

export function findResource(group: string, version: string, resource: string): ResourceType | undefined {
  return resourceTypes.find((t) => t.group === group && t.version === version && t.resource === resource);
}

export function resourcesOf(group: string, version: string): ResourceType[] {
  return resourceTypes.filter((t) => t.group === group && t.version === version);
}

export function groups(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of resourceTypes) {
    if (!t.group) continue;
    const versions = out.get(t.group) ?? [];
    if (!versions.includes(t.version)) versions.push(t.version);
    out.set(t.group, versions);
  }
  return out;
}
