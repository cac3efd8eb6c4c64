// How Ingress paths become a server's locations: which paths collide, which wins, when a host
// turns regex, and in what order nginx sees them (upstream's getBackendServers sort and
// enforceRegexModifier).
import type { Location, PathType } from '../model.js';

/**
 * Paths that would produce the same nginx location. ImplementationSpecific is Prefix for ingress-nginx
 * (SetDefaultNGINXPathType), and a Prefix's trailing "/" does not change what it matches
 * (Kubernetes: Prefix /foo/ matches /foo), so "/foo", "/foo/" and ImplementationSpecific "/foo" collide;
 * upstream would emit `location /foo/` twice and fail `nginx -t` for every host.
 */
export function locationKey(pathType: PathType, path: string): string {
  return pathType === 'Exact' ? `=${path}` : `^${prefixBase(path)}`;
}

/** a Prefix path without its trailing slashes ("/" stays "/") */
export function prefixBase(path: string): string {
  return path.replace(/\/+$/, '') || '/';
}

/**
 * ingress-nginx's rule: when any location of a host uses use-regex, or a rewrite-target different
 * from its path, every location of the host becomes a case-insensitive regex location.
 */
export function needsRegex(l: { path: string; useRegex: boolean; config: Location['config'] }): boolean {
  return l.useRegex || (l.config.rewriteTarget !== undefined && l.config.rewriteTarget !== l.path);
}

const TYPE_ORDER: Record<PathType, number> = { Exact: 0, Prefix: 1, ImplementationSpecific: 2 };

/**
 * Longest path first, then reverse byte order (upstream's two stable sorts), then Exact before
 * Prefix before ImplementationSpecific for the same path, so the first regex match is the most
 * specific one and the order never depends on input order.
 */
export function compareLocations(a: Location, b: Location): number {
  if (a.path.length !== b.path.length) return b.path.length - a.path.length;
  if (a.path !== b.path) return a.path > b.path ? -1 : 1;
  return TYPE_ORDER[a.pathType] - TYPE_ORDER[b.pathType];
}
