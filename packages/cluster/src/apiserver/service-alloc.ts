// What a Service holds from the cluster's pools (pkg/registry/core/service/storage): a ClusterIP from
// the service CIDR and NodePorts from 30000-32767. Allocated on create, kept when an update leaves
// them out, dropped or allocated as the type changes, released on delete; messages as upstream's.
import { externallyAccessible } from './defaults.js';
import { invalid } from './errors.js';
import { IpAllocator } from './ipalloc.js';

type Obj = Record<string, any>;

export const NODE_PORT_RANGE = { base: 30000, size: 2768 };

const needsClusterIP = (s: Obj) => s.spec?.type !== 'ExternalName';
const needsNodePorts = (s: Obj) => s.spec?.type === 'NodePort' || (s.spec?.type === 'LoadBalancer' && s.spec?.allocateLoadBalancerNodePorts !== false);
const needsHealthCheck = (s: Obj) => s.spec?.type === 'LoadBalancer' && s.spec?.externalTrafficPolicy === 'Local';
const ports = (s: Obj) => (s.spec?.ports ?? []) as Obj[];

class PortAllocator {
  private readonly used = new Set<number>();
  constructor(private readonly base: number, private readonly size: number) {}
  contains(p: number) { return p >= this.base && p < this.base + this.size; }
  isAllocated(p: number) { return this.used.has(p); }
  allocate(p: number) { this.used.add(p); }
  release(p: number) { this.used.delete(p); }
  next(): number {
    const start = Math.floor(Math.random() * this.size);
    for (let i = 0; i < this.size; i++) {
      const p = this.base + ((start + i) % this.size);
      if (!this.used.has(p)) { this.used.add(p); return p; }
    }
    throw new Error('range is full');
  }
}

/** Allocations made for one request, undone if the request fails. */
export interface Pending { commit(): void; rollback(): void }

export class ServiceAllocator {
  readonly ips: IpAllocator;
  private readonly nodePorts = new PortAllocator(NODE_PORT_RANGE.base, NODE_PORT_RANGE.size);

  constructor(serviceCIDR: string) {
    this.ips = new IpAllocator(serviceCIDR);
  }

  private get rangeText() { return `${NODE_PORT_RANGE.base}-${NODE_PORT_RANGE.base + NODE_PORT_RANGE.size - 1}`; }

  /** Takes what `svc` asks for (or picks), recording it so a failed request can give it back. */
  private take(svc: Obj, keep: { ip?: string; ports: Set<number> }, taken: Array<() => void>): void {
    const name = svc.metadata.name;
    const spec = svc.spec;
    if (!needsClusterIP(svc)) { delete spec.clusterIP; delete spec.clusterIPs; delete spec.ipFamilies; delete spec.ipFamilyPolicy; }
    else if (spec.clusterIP === 'None' || spec.clusterIPs?.[0] === 'None') {
      spec.clusterIP = 'None'; spec.clusterIPs = ['None'];
      // initIPFamilyFields: a headless Service has families too; without a selector it may take every family the cluster has
      spec.ipFamilyPolicy ??= Object.keys(spec.selector ?? {}).length > 0 ? 'SingleStack' : 'RequireDualStack';
      spec.ipFamilies ??= ['IPv4'];
    }
    else {
      const requested: string | undefined = spec.clusterIP || spec.clusterIPs?.[0];
      if (requested && requested !== keep.ip) {
        if (!this.ips.contains(requested)) {
          throw invalid('Service', '', name, [{ field: 'spec.clusterIPs', message: `Invalid value: []string{"${requested}"}: failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.ips.cidr}` }]);
        }
        if (this.ips.isAllocated(requested)) {
          throw invalid('Service', '', name, [{ field: 'spec.clusterIPs', message: `Invalid value: []string{"${requested}"}: failed to allocate IP ${requested}: provided IP is already allocated` }]);
        }
        this.ips.allocate(requested);
        taken.push(() => this.ips.release(requested));
      }
      spec.clusterIP = requested ?? this.ips.next();
      if (!requested) taken.push(() => this.ips.release(spec.clusterIP));
      spec.clusterIPs = [spec.clusterIP];
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
    }
    const causes = [];
    for (const [i, p] of ports(svc).entries()) {
      if (!needsNodePorts(svc)) {
        if (p.nodePort) causes.push({ field: `spec.ports[${i}].nodePort`, message: `Forbidden: may not be used when \`type\` is '${spec.type}'`, reason: 'FieldValueForbidden' });
        continue;
      }
      if (!p.nodePort) { p.nodePort = this.nodePorts.next(); const np = p.nodePort; taken.push(() => this.nodePorts.release(np)); continue; }
      if (keep.ports.has(p.nodePort)) continue;
      if (!this.nodePorts.contains(p.nodePort)) causes.push({ field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${p.nodePort}: provided port is not in the valid range. The range of valid ports is ${this.rangeText}` });
      else if (this.nodePorts.isAllocated(p.nodePort)) causes.push({ field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${p.nodePort}: provided port is already allocated` });
      else { const np = p.nodePort; this.nodePorts.allocate(np); taken.push(() => this.nodePorts.release(np)); }
    }
    if (needsHealthCheck(svc) && !spec.healthCheckNodePort) { spec.healthCheckNodePort = this.nodePorts.next(); const np = spec.healthCheckNodePort; taken.push(() => this.nodePorts.release(np)); }
    if (!needsHealthCheck(svc)) delete spec.healthCheckNodePort;
    if (causes.length) throw invalid('Service', '', name, causes);
  }

  private transaction(run: (taken: Array<() => void>) => void, release: () => void = () => undefined): Pending {
    const taken: Array<() => void> = [];
    try { run(taken); } catch (e) { taken.forEach((undo) => undo()); throw e; }
    return { commit: release, rollback: () => taken.forEach((undo) => undo()) };
  }

  create(svc: Obj): Pending {
    return this.transaction((taken) => this.take(svc, { ports: new Set() }, taken));
  }

  /** An update: values the request leaves out stay as allocated; ClusterIP is immutable; a type change
   * drops what the new type does not use (dropTypeDependentFields) and allocates what it needs. */
  update(next: Obj, cur: Obj): Pending {
    const spec = (next.spec ??= {});
    const wasIP = needsClusterIP(cur) && cur.spec.clusterIP;
    if (needsClusterIP(next) && !spec.clusterIP && wasIP) {
      spec.clusterIP = cur.spec.clusterIP; spec.clusterIPs = cur.spec.clusterIPs;
      spec.ipFamilies ??= cur.spec.ipFamilies; spec.ipFamilyPolicy ??= cur.spec.ipFamilyPolicy;
    }
    if (needsClusterIP(next) && wasIP && spec.clusterIP !== cur.spec.clusterIP) {
      throw invalid('Service', '', cur.metadata.name, [{ field: 'spec.clusterIPs[0]', message: `Invalid value: []string{"${spec.clusterIP}"}: may not change once set` }]);
    }
    const oldPorts = ports(cur);
    if (needsNodePorts(cur) && !needsNodePorts(next)) {
      // ports the user did not touch lose the nodePort the old type had
      for (const p of ports(next)) if (oldPorts.some((o) => o.nodePort === p.nodePort && o.port === p.port)) delete p.nodePort;
    } else if (needsNodePorts(next)) {
      for (const p of ports(next)) {
        if (p.nodePort) continue;
        const was = oldPorts.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
        if (was?.nodePort) p.nodePort = was.nodePort;
      }
    }
    if (needsHealthCheck(next) && !spec.healthCheckNodePort && cur.spec.healthCheckNodePort) spec.healthCheckNodePort = cur.spec.healthCheckNodePort;
    // dropTypeDependentFields: traffic policies the new type has no use for go, unless this update set them
    if (externallyAccessible(cur.spec) && !externallyAccessible(spec) && spec.externalTrafficPolicy === cur.spec.externalTrafficPolicy) delete spec.externalTrafficPolicy;
    if (spec.type === 'ExternalName' && cur.spec.type !== 'ExternalName' && spec.internalTrafficPolicy === cur.spec.internalTrafficPolicy) delete spec.internalTrafficPolicy;
    const keep = { ip: wasIP || undefined, ports: new Set<number>([...oldPorts.map((o) => o.nodePort), cur.spec.healthCheckNodePort].filter(Boolean)) };
    return this.transaction((taken) => this.take(next, keep, taken), () => this.releaseUnused(cur, next));
  }

  /** After a successful update: what the old object held and the new one does not goes back to the pools. */
  private releaseUnused(cur: Obj, next: Obj): void {
    const held = (s: Obj) => ({ ip: s.spec?.clusterIP, ports: [...ports(s).map((p) => p.nodePort), s.spec?.healthCheckNodePort].filter(Boolean) as number[] });
    const before = held(cur);
    const after = held(next);
    if (before.ip && before.ip !== 'None' && before.ip !== after.ip) this.ips.release(before.ip);
    for (const p of before.ports) if (!after.ports.includes(p)) this.nodePorts.release(p);
  }

  release(svc: Obj): void {
    this.releaseUnused(svc, { spec: {} });
  }
}
