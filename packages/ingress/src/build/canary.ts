// Canary Ingresses (upstream's mergeAlternativeBackends): a canary adds its backend as an
// alternative of the main backend serving the same host + path (its spec.defaultBackend: of the
// catch-all's locations). A canary without such a main backend is dropped silently, as upstream
// logs and ignores it; build.ts prunes backends nothing refers to.
import { CATCH_ALL, DEFAULT_BACKEND, type Backend } from '../model.js';
import type { ParsedIngress } from './ingress-spec.js';
import { locationKey } from './locations.js';

interface MergeLocation { key: string; backend: string }

export const backendName = (namespace: string, svc: { name: string; port: number | string }) => `${namespace}-${svc.name}-${svc.port}`;

export function mergeCanaries(
  canaries: readonly ParsedIngress[],
  servers: ReadonlyMap<string, { locations: readonly MergeLocation[] }>,
  backends: ReadonlyMap<string, Backend>,
): void {
  for (const ing of canaries) {
    const targets: Array<{ host: string; key?: string; alt: string }> = [];
    if (ing.defaultBackend) targets.push({ host: CATCH_ALL, alt: backendName(ing.ref.namespace, ing.defaultBackend) });
    for (const p of ing.paths) targets.push({ host: p.host, key: locationKey(p.pathType, p.path), alt: backendName(ing.ref.namespace, p.service) });
    for (const t of targets) {
      const alt = backends.get(t.alt);
      // a backend a main Ingress also routes to directly is no canary (upstream: "is primary upstream")
      if (!alt?.noServer) continue;
      for (const loc of servers.get(t.host)?.locations ?? []) {
        if (t.key !== undefined && loc.key !== t.key) continue;
        const primary = backends.get(loc.backend);
        if (!primary || primary.name === DEFAULT_BACKEND || primary.noServer) continue;
        if (primary.alternativeBackends.includes(alt.name)) continue;
        // "sticky" (default): users the canary served stay on it, so it shares the main's affinity
        if (!ing.ann.canaryLegacyAffinity) {
          if (primary.sessionAffinity) alt.sessionAffinity = { ...primary.sessionAffinity };
          else delete alt.sessionAffinity;
        }
        primary.alternativeBackends.push(alt.name);
      }
    }
  }
}
