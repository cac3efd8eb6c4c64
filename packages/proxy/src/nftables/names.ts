// Upstream's nftables object names (pkg/proxy/nftables/proxier.go hashAndTruncate): readable names
// "ns/svc/proto/port" (and "…__ip/port" for an endpoint), prefixed with 8 base32 chars of their
// sha256 so names differing in one digit stay apart, truncated to fit nft's 256-char limit.
import { hash } from 'node:crypto';
import { base32 } from '../iptables/names.js';
import type { Endpoint, ServicePort } from '../service-ports.js';

/** knftables.NameLengthMax (256) minus room for the longest prefix ("endpoint-" etc.) */
const BASE_MAX = 240;

export function hashAndTruncate(name: string): string {
  // 5 bytes are 40 bits: exactly the 8 base32 characters upstream keeps
  const hashed = `${base32(hash('sha256', name, 'buffer').subarray(0, 5))}-${name}`;
  return hashed.length > BASE_MAX ? `${hashed.slice(0, BASE_MAX - 3)}...` : hashed;
}

export interface PortNames { service: string; local: string; external: string; firewall: string }

export class EndpointNames {
  generation = 0;
  constructor(readonly chain: string) {}
  /** the endpoint's affinity set, "affinity-" + the chain's base (made on demand: few Services use affinity) */
  get affinity(): string { return `affinity-${this.chain.slice('endpoint-'.length)}`; }
}

/** One Service port's names, e.g. "service-ULMVA6XW-ns1/svc1/tcp/p80", and its endpoints'. */
export class CachedPortNames implements PortNames {
  readonly service: string;
  readonly local: string;
  readonly external: string;
  readonly firewall: string;
  generation = 0;
  private readonly endpoints = new Map<string, EndpointNames>();

  constructor(private readonly base: string) {
    const h = hashAndTruncate(base);
    this.service = `service-${h}`;
    this.local = `local-${h}`;
    this.external = `external-${h}`;
    this.firewall = `firewall-${h}`;
  }

  /** "endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80" and its "affinity-…" set (IPv6 ":" become ".") */
  endpoint(e: Endpoint): EndpointNames {
    const key = `${e.ip.includes(':') ? e.ip.replaceAll(':', '.') : e.ip}/${e.port}`;
    let n = this.endpoints.get(key);
    if (!n) this.endpoints.set(key, (n = new EndpointNames(`endpoint-${hashAndTruncate(`${this.base}__${key}`)}`)));
    n.generation = this.generation;
    return n;
  }

  sweep(generation: number): void {
    for (const [k, n] of this.endpoints) if (n.generation < generation) this.endpoints.delete(k);
  }
}

/**
 * A full sync names every Service port and endpoint; hashing 50k endpoints (and allocating their
 * names) each time would dominate it, so names live from one full sync to the next.
 */
export class NameCache {
  private generation = 0;
  private readonly ports = new Map<string, CachedPortNames>();

  port(sp: ServicePort): CachedPortNames {
    const base = `${sp.namespace}/${sp.service}/${sp.protocol.toLowerCase()}/${sp.portName}`;
    let p = this.ports.get(base);
    if (!p) this.ports.set(base, (p = new CachedPortNames(base)));
    p.generation = this.generation;
    return p;
  }

  /** starts a new generation (each full sync): names unused since the previous call are forgotten */
  rotate(): void {
    for (const [k, p] of this.ports) {
      if (p.generation < this.generation) this.ports.delete(k);
      else p.sweep(this.generation);
    }
    this.generation++;
  }
}

/** Our per-Service chains all contain "/"; the fixed ones ("services", "nat-output", …) never do. */
export const isServiceChainName = (chain: string) => chain.includes('/');
export const isAffinitySetName = (set: string) => set.startsWith('affinity-');
