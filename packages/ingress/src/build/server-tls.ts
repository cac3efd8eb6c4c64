// Which certificate each server presents, as upstream's createServers: the oldest Ingress with a
// TLS section for the host decides; its entry naming the host (or, failing that, any entry whose
// certificate covers the host) gives the Secret; anything missing or invalid falls back to the
// generated default certificate, with the reason. A TLS entry without hosts serves the catch-all.
import type { V1Secret } from '@kubernetes/client-node';
import { CATCH_ALL, type Certificate, type Server } from '../model.js';
import { covers, loadCertificate, type LoadedCertificate } from './certificate.js';
import type { ParsedIngress } from './ingress-spec.js';

export class ServerTls {
  private readonly loaded = new Map<string, LoadedCertificate>();
  private readonly used = new Map<string, Certificate>();
  private readonly secrets = new Map<string, V1Secret>();
  /** per host, the oldest Ingress with a rule for it and a TLS section */
  private readonly deciding = new Map<string, ParsedIngress>();

  /** `ingresses`: the non-canary Ingresses, oldest first */
  constructor(secrets: readonly V1Secret[], private readonly ingresses: readonly ParsedIngress[]) {
    for (const s of secrets) this.secrets.set(`${s.metadata?.namespace}/${s.metadata?.name}`, s);
    for (const ing of ingresses) {
      if (!ing.tls.length) continue;
      for (const h of ing.hosts) if (!this.deciding.has(h)) this.deciding.set(h, ing);
    }
  }

  /** certificates referenced so far, sorted by id */
  certificates(): Certificate[] {
    return [...this.used.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** TLS for `host`; undefined when no Ingress asks for TLS there */
  forHost(host: string): Server['tls'] {
    if (host === CATCH_ALL) return this.forCatchAll();
    const ing = this.deciding.get(host);
    if (!ing) return undefined;
    const named = ing.tls.find((t) => t.hosts.some((h) => h.toLowerCase() === host));
    if (named) {
      if (!named.secretName) return fallback(`the spec.tls entry of Ingress ${key(ing)} for ${host} has no secretName`);
      return this.use(ing, named.secretName, host);
    }
    for (const t of ing.tls) {
      if (!t.secretName) continue;
      const c = this.load(ing, t.secretName);
      if (c.ok && covers(c.cert.hosts, host)) return this.use(ing, t.secretName, host);
    }
    return fallback(`no spec.tls entry of Ingress ${key(ing)} names ${host} or has a certificate for it`);
  }

  private forCatchAll(): Server['tls'] {
    for (const ing of this.ingresses) {
      const entry = ing.tls.find((t) => t.hosts.length === 0);
      if (!entry) continue;
      return entry.secretName ? this.use(ing, entry.secretName) : fallback(`the host-less spec.tls entry of Ingress ${key(ing)} has no secretName`);
    }
    return undefined;
  }

  private use(ing: ParsedIngress, secretName: string, host?: string): Server['tls'] {
    const c = this.load(ing, secretName);
    if (!c.ok) return fallback(c.reason);
    if (host !== undefined && !covers(c.cert.hosts, host)) {
      return fallback(`the certificate in Secret ${ing.ref.namespace}/${secretName} is not valid for ${host} (it names ${c.cert.hosts.join(', ') || 'no DNS name'})`);
    }
    if (!this.used.has(c.cert.id)) this.used.set(c.cert.id, c.cert);
    return { certificate: c.cert.id };
  }

  private load(ing: ParsedIngress, secretName: string): LoadedCertificate {
    const ref = { namespace: ing.ref.namespace, name: secretName };
    const k = `${ref.namespace}/${ref.name}`;
    let c = this.loaded.get(k);
    if (!c) {
      c = loadCertificate(this.secrets.get(k), ref);
      this.loaded.set(k, c);
    }
    return c;
  }
}

const fallback = (reason: string): Server['tls'] => ({ certificate: 'default', reason });
const key = (i: ParsedIngress) => `${i.ref.namespace}/${i.ref.name}`;
