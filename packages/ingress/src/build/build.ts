// The model builder: Kubernetes objects → IngressModel, pure and deterministic, following upstream
// ingress-nginx (internal/ingress/controller/controller.go getBackendServers / createUpstreams /
// createServers / mergeAlternativeBackends, location.go updateServerLocations, template.go
// buildLocation / enforceRegexModifier), with every value checked by grammar.ts first.
//
// RENDERING CONTRACT for Server.locations (nginx-locations.ts implements it as `nginxLocations`).
// Emit, for each location in array order (the array is already in ingress-nginx's precedence:
// longest path first, then reverse byte order, then Exact, Prefix, ImplementationSpecific):
//   regex: true (any pathType)          → location ~* "^<path>"         (path is a validated PCRE)
//   Exact                               → location = "<path>"
//   Prefix or ImplementationSpecific    → path "/" (or only slashes)    → location "/"
//                                         otherwise, with base = path without trailing "/":
//                                           location "<base>/"  and  location = "<base>"
//                                         (the second one is left out when the server also has a
//                                         non-regex Exact location whose path is <base>; both blocks
//                                         get this location's body)
// Always quote the match and escape "\" and '"' in it (nothing else needs escaping: the grammar
// lets no '"', line break or "$" other than a final end anchor through). `regex` is all or nothing
// per server: it is true for every location of a host where any location has use-regex or a
// rewrite-target different from its path, as ingress-nginx does (so a regex location's path may be
// a plain Prefix path; an Exact path then matches as a prefix, as upstream). Only regex locations
// depend on order (first match wins); nginx picks exact and prefix blocks by itself.
// Body: when config.rewriteTarget is set and differs from path, `rewrite "(?i)<path>"
// "<rewriteTarget>" break;` before proxying ($1…$9 in the target are the path's captures, so do not
// escape "$" there). Redirect http→https (308) when config.forceSslRedirect, or config.sslRedirect and
// the server has tls. allowSourceRanges non-empty → `allow <cidr>;` each, then `deny all;`.
// Backend DEFAULT_BACKEND with no endpoints is the controller's own default backend: answer 404. Any
// other backend with no endpoints (missing Service, port or ready pods): 503, as ingress-nginx.
// Wildcard hostnames match exactly one label (`*.foo.com` is not `a.b.foo.com`): nginx's own
// `server_name *.foo.com` matches deeper names, so use `~^[^.]+\.foo\.com$` if that matters.
import type { V1EndpointSlice, V1Ingress, V1IngressClass, V1Secret, V1Service } from '@kubernetes/client-node';
import {
  CATCH_ALL, DEFAULT_BACKEND, type Backend, type IngressModel, type Location, type LocationConfig, type ObjectRef,
  type Rejection, type Server,
} from '../model.js';
import { checkLocationConfig } from './annotations.js';
import { backendName, mergeCanaries } from './canary.js';
import { ServiceIndex } from './endpoints.js';
import { Invalid } from './grammar.js';
import { isOurs } from './ingress-class.js';
import { parseIngress, type ParsedIngress, type ServiceRef } from './ingress-spec.js';
import { compareLocations, locationKey, needsRegex } from './locations.js';
import { ServerTls } from './server-tls.js';

export { nginxLocations, type NginxLocation } from './nginx-locations.js';
export { checkLocationConfig } from './annotations.js';

export interface ClusterSnapshot {
  ingresses: V1Ingress[];
  ingressClasses: V1IngressClass[];
  services: V1Service[];
  endpointSlices: V1EndpointSlice[];
  secrets: V1Secret[];
}

export interface BuildOptions {
  /** --ingress-class, default 'nginx' */
  ingressClass: string;
  /** --controller-class, default 'k8s.io/ingress-nginx' */
  controllerClass: string;
  /** --watch-ingress-without-class */
  watchIngressWithoutClass: boolean;
  /** --default-backend-service: answers what no rule matches, instead of the built-in 404 */
  defaultBackendService?: ObjectRef;
  /** from the controller ConfigMap; must pass checkLocationConfig */
  defaults: LocationConfig;
}

/** ingress-nginx's ConfigMap defaults */
export const DEFAULT_LOCATION_CONFIG: Readonly<LocationConfig> = Object.freeze({
  sslRedirect: true,
  forceSslRedirect: false,
  backendProtocol: 'HTTP',
  allowSourceRanges: [],
  proxyBodySize: '1m',
  proxyConnectTimeout: 5,
  proxyReadTimeout: 60,
  proxySendTimeout: 60,
});

interface WorkLocation extends Location {
  key: string;
  /** still the server's default "/" (replaceable by any rule for "/") */
  isDefault: boolean;
  useRegex: boolean;
}

export function buildModel(s: ClusterSnapshot, o: BuildOptions): IngressModel {
  const problem = checkLocationConfig(o.defaults);
  if (problem) throw new Error(`invalid controller defaults: ${problem}`);

  const { parsed, rejected } = parseAll(s, o);
  const mains = parsed.filter((i) => !i.ann.canary);
  const canaries = parsed.filter((i) => i.ann.canary);
  const index = new ServiceIndex(s.services, s.endpointSlices);
  const backends = createBackends(mains, canaries, index, o);
  const servers = createServers(mains, backends, o);
  if (mains.length) mergeCanaries(canaries, servers, backends);

  const tls = new ServerTls(s.secrets, mains);
  const out: Server[] = [...servers.values()]
    .sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0))
    .map((srv) => {
      const regex = srv.locations.some(needsRegex);
      const server: Server = { hostname: srv.hostname, locations: srv.locations.map((l) => publicLocation(l, regex)).sort(compareLocations) };
      const t = tls.forHost(srv.hostname);
      if (t) server.tls = t;
      return server;
    });

  // only what a location or a canary list refers to (upstream deletes unmerged canaries too)
  const used = new Set<string>([DEFAULT_BACKEND]);
  for (const srv of out) for (const l of srv.locations) used.add(l.backend);
  for (const name of [...used]) for (const alt of backends.get(name)?.alternativeBackends ?? []) used.add(alt);
  return {
    servers: out,
    backends: [...backends.values()].filter((b) => used.has(b.name)).sort((a, b) => (a.name < b.name ? -1 : 1)),
    certificates: tls.certificates(),
    rejected,
  };
}

/** our Ingresses, validated, oldest first (ties: namespace/name descending, as upstream's sortIngressSlice) */
function parseAll(s: ClusterSnapshot, o: BuildOptions): { parsed: ParsedIngress[]; rejected: Rejection[] } {
  const parsed: ParsedIngress[] = [];
  const rejected: Rejection[] = [];
  for (const ing of s.ingresses) {
    if (!isOurs(ing, s.ingressClasses, o)) continue;
    try {
      parsed.push(parseIngress(ing, o.defaults));
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      rejected.push({ ingress: { namespace: String(ing.metadata?.namespace ?? ''), name: String(ing.metadata?.name ?? '') }, reason: e.message });
    }
  }
  const key = (i: ParsedIngress) => `${i.ref.namespace}/${i.ref.name}`;
  parsed.sort((a, b) => a.created - b.created || (key(a) > key(b) ? -1 : key(a) < key(b) ? 1 : 0));
  rejected.sort((a, b) => {
    const ka = `${a.ingress.namespace}/${a.ingress.name}`;
    const kb = `${b.ingress.namespace}/${b.ingress.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0;
  });
  return { parsed, rejected };
}

function createBackends(mains: ParsedIngress[], canaries: ParsedIngress[], index: ServiceIndex, o: BuildOptions): Map<string, Backend> {
  const backends = new Map<string, Backend>();
  const def: Backend = { name: DEFAULT_BACKEND, endpoints: [], alternativeBackends: [], noServer: false };
  if (o.defaultBackendService) {
    const { namespace, name } = o.defaultBackendService;
    def.service = { namespace, name };
    const port = index.service(namespace, name)?.spec?.ports?.[0]?.port;
    if (port !== undefined) def.port = port;
    def.endpoints = index.firstPortEndpoints(namespace, name);
  }
  backends.set(DEFAULT_BACKEND, def);

  // mains first, oldest first: the first Ingress naming a backend creates it (upstream createUpstreams)
  for (const ing of [...mains, ...canaries]) {
    const refs: ServiceRef[] = [...(ing.defaultBackend ? [ing.defaultBackend] : []), ...ing.paths.map((p) => p.service)];
    for (const svc of refs) {
      const name = backendName(ing.ref.namespace, svc);
      if (backends.has(name)) continue;
      const b: Backend = {
        name,
        service: { namespace: ing.ref.namespace, name: svc.name },
        port: svc.port,
        endpoints: index.endpoints(ing.ref.namespace, svc.name, svc.port),
        alternativeBackends: [],
        noServer: ing.ann.canary !== undefined,
      };
      if (ing.ann.canary) b.trafficShaping = { ...ing.ann.canary };
      backends.set(name, b);
    }
  }
  return backends;
}

function createServers(mains: ParsedIngress[], backends: Map<string, Backend>, o: BuildOptions): Map<string, { hostname: string; locations: WorkLocation[] }> {
  const servers = new Map<string, { hostname: string; locations: WorkLocation[] }>();
  const root = (config: LocationConfig, useRegex: boolean): WorkLocation => ({
    path: '/', pathType: 'Prefix', regex: false, backend: DEFAULT_BACKEND, config, key: locationKey('Prefix', '/'), isDefault: true, useRegex,
  });
  servers.set(CATCH_ALL, { hostname: CATCH_ALL, locations: [root(withoutRewrite(o.defaults), false)] });

  // the catch-all's "/" is the oldest spec.defaultBackend; without rules that Ingress owns it for good
  const withDefault = mains.find((i) => i.defaultBackend);
  if (withDefault?.defaultBackend) {
    const loc = servers.get(CATCH_ALL)!.locations[0]!;
    route(loc, withDefault, withDefault.defaultBackend);
    loc.config = withoutRewrite(withDefault.ann.config);
    loc.isDefault = withDefault.hosts.length > 0;
  }

  // every other host starts with "/" → the creating Ingress's defaultBackend, or the default backend
  for (const ing of mains) {
    for (const host of ing.hosts) {
      if (servers.has(host)) continue;
      const loc = root(ing.defaultBackend ? copy(ing.ann.config) : withoutRewrite(ing.ann.config), ing.ann.useRegex);
      if (ing.defaultBackend) route(loc, ing, ing.defaultBackend);
      servers.set(host, { hostname: host, locations: [loc] });
    }
  }

  const byKey = new Map<string, WorkLocation>();
  for (const [host, srv] of servers) for (const l of srv.locations) byKey.set(`${host} ${l.key}`, l);
  for (const ing of mains) {
    for (const p of ing.paths) {
      const server = servers.get(p.host)!;
      const key = locationKey(p.pathType, p.path);
      const existing = byKey.get(`${p.host} ${key}`);
      // same host + path + type: the oldest Ingress keeps it (upstream: "already configured")
      if (!existing || existing.isDefault) {
        const loc: WorkLocation = existing ?? { path: p.path, pathType: p.pathType, regex: false, backend: '', config: o.defaults, key, isDefault: false, useRegex: false };
        Object.assign(loc, { path: p.path, pathType: p.pathType, config: copy(ing.ann.config), isDefault: false, useRegex: ing.ann.useRegex });
        route(loc, ing, p.service);
        if (!existing) {
          server.locations.push(loc);
          byKey.set(`${p.host} ${key}`, loc);
        }
      }
      const b = backends.get(backendName(ing.ref.namespace, p.service));
      if (ing.ann.affinity && b && !b.noServer && !b.sessionAffinity) b.sessionAffinity = { ...ing.ann.affinity };
    }
  }
  return servers;
}

function route(loc: WorkLocation, ing: ParsedIngress, svc: ServiceRef): void {
  loc.backend = backendName(ing.ref.namespace, svc);
  loc.ingress = { ...ing.ref };
  loc.service = { name: svc.name, port: svc.port };
}

const copy = (c: LocationConfig): LocationConfig => ({ ...c, allowSourceRanges: [...c.allowSourceRanges] });

/** a default-backend location gets the Ingress's settings but no rewrite (upstream skips it for the catch-all) */
function withoutRewrite(c: LocationConfig): LocationConfig {
  const { rewriteTarget: _, ...rest } = copy(c);
  return rest;
}

function publicLocation(l: WorkLocation, regex: boolean): Location {
  const out: Location = { path: l.path, pathType: l.pathType, regex, backend: l.backend, config: l.config };
  if (l.ingress) out.ingress = l.ingress;
  if (l.service) out.service = l.service;
  return out;
}
