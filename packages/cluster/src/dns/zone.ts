// What the cluster DNS answers, as CoreDNS's kubernetes plugin does for kind's Corefile
// (`kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure }`, `ttl 30`):
//   <svc>.<ns>.svc.cluster.local          A: the ClusterIP; headless: each ready endpoint; ExternalName: CNAME
//   _<port>._<proto>.<svc>.<ns>.svc...     SRV: 0 <weight> <port> <svc>.<ns>.svc.cluster.local. (headless: per endpoint)
//   <endpoint>.<svc>.<ns>.svc...           A: a headless Service's endpoint by hostname or dashed IP
//   <a-b-c-d>.<ns>.pod.cluster.local       A: a.b.c.d
//   <d>.<c>.<b>.<a>.in-addr.arpa           PTR: the Service with that ClusterIP
// Other names in the zone are NXDOMAIN, known names without records of the asked type are NODATA
// (both with the zone's SOA); names outside it get SERVFAIL: there is no upstream resolver here.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { RCODE, TYPE, type Answer, type ResourceRecord } from './wire.js';

export const DOMAIN = 'cluster.local';
export const TTL = 30;

export interface ZoneData {
  services: readonly V1Service[];
  slices: readonly V1EndpointSlice[];
  /** a number that grows when the data changes (the SOA serial) */
  serial: number;
}

const soa = (serial: number): ResourceRecord => ({
  name: `${DOMAIN}.`, ttl: TTL,
  data: { type: 'SOA', mname: `ns.dns.${DOMAIN}.`, rname: `hostmaster.${DOMAIN}.`, serial, refresh: 7200, retry: 1800, expire: 86400, minimum: TTL },
});

const isIPv4 = (s: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(s) && s.split('.').every((p) => Number(p) <= 255);
const a = (name: string, ip: string): ResourceRecord => ({ name: `${name}.`, ttl: TTL, data: { type: 'A', ip } });

interface Endpoint { ip: string; host: string }

/** the Service's IPv4 EndpointSlices */
const slicesOf = (z: ZoneData, svc: V1Service) => z.slices.filter((s) => s.addressType === 'IPv4' && s.metadata?.namespace === svc.metadata!.namespace
  && s.metadata?.labels?.['kubernetes.io/service-name'] === svc.metadata!.name);

/** a headless Service's ready endpoints, each with the name CoreDNS gives it */
function endpointsOf(z: ZoneData, svc: V1Service): Endpoint[] {
  const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
  const seen = new Map<string, Endpoint>();
  for (const s of slicesOf(z, svc)) {
    for (const e of s.endpoints ?? []) {
      if (!publishNotReady && e.conditions?.ready === false) continue;
      for (const ip of e.addresses) if (!seen.has(ip)) seen.set(ip, { ip, host: e.hostname ?? ip.replace(/\./g, '-') });
    }
  }
  return [...seen.values()].sort((x, y) => x.ip.localeCompare(y.ip, undefined, { numeric: true }));
}

function portsOf(z: ZoneData, svc: V1Service): Array<{ name: string; port: number; protocol: string }> {
  const headless = svc.spec?.clusterIP === 'None';
  if (!headless) return (svc.spec?.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' }));
  // a headless Service's SRV ports are its endpoints' ports
  const out = new Map<string, { name: string; port: number; protocol: string }>();
  for (const s of slicesOf(z, svc)) {
    for (const p of s.ports ?? []) if (p.port) out.set(`${p.name}/${p.protocol}`, { name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' });
  }
  return [...out.values()];
}

export function answer(z: ZoneData, qname: string, qtype: number): Answer {
  const name = qname.toLowerCase().replace(/\.$/, '');
  const none = (rcode: number): Answer => ({ rcode, answers: [], authority: rcode === RCODE.SERVFAIL ? [] : [soa(z.serial)], additional: [] });
  const found = (answers: ResourceRecord[], additional: ResourceRecord[] = []): Answer =>
    answers.length ? { rcode: RCODE.NOERROR, answers, authority: [], additional } : none(RCODE.NOERROR);

  if (name.endsWith('.in-addr.arpa')) {
    const ip = name.slice(0, -'.in-addr.arpa'.length).split('.').reverse().join('.');
    const svc = z.services.find((s) => s.spec?.clusterIP === ip);
    if (!svc) return none(RCODE.NXDOMAIN);
    return qtype === TYPE.PTR || qtype === TYPE.ANY ? found([{ name: `${name}.`, ttl: TTL, data: { type: 'PTR', target: `${svc.metadata!.name}.${svc.metadata!.namespace}.svc.${DOMAIN}.` } }]) : none(RCODE.NOERROR);
  }
  if (name !== DOMAIN && !name.endsWith(`.${DOMAIN}`)) return none(RCODE.SERVFAIL);
  const labels = name === DOMAIN ? [] : name.slice(0, -(DOMAIN.length + 1)).split('.');
  if (labels.length === 0) return qtype === TYPE.SOA ? found([soa(z.serial)]) : none(RCODE.NOERROR);

  // <a-b-c-d>.<ns>.pod.cluster.local
  if (labels.at(-1) === 'pod') {
    if (labels.length !== 3) return none(labels.length < 3 ? RCODE.NOERROR : RCODE.NXDOMAIN);
    const ip = labels[0]!.replace(/-/g, '.');
    if (!isIPv4(ip)) return none(RCODE.NXDOMAIN);
    return qtype === TYPE.A || qtype === TYPE.ANY ? found([a(name, ip)]) : none(RCODE.NOERROR);
  }
  if (labels.at(-1) !== 'svc') return none(RCODE.NXDOMAIN);
  const rest = labels.slice(0, -1);
  // svc.cluster.local and <ns>.svc.cluster.local exist as names without records
  if (rest.length <= 1) return none(RCODE.NOERROR);
  const [ns, svcName] = [rest.at(-1)!, rest.at(-2)!];
  const svc = z.services.find((s) => s.metadata?.namespace === ns && s.metadata?.name === svcName);
  if (!svc) return none(RCODE.NXDOMAIN);
  const svcFqdn = `${svcName}.${ns}.svc.${DOMAIN}`;
  const headless = svc.spec?.clusterIP === 'None';
  const endpoints = headless ? endpointsOf(z, svc) : [];

  if (rest.length === 2) {
    if (svc.spec?.type === 'ExternalName') {
      return qtype === TYPE.SRV ? none(RCODE.NOERROR) : found([{ name: `${name}.`, ttl: TTL, data: { type: 'CNAME', target: `${svc.spec.externalName!.replace(/\.$/, '')}.` } }]);
    }
    if (qtype === TYPE.A || qtype === TYPE.ANY) {
      if (!headless) return found(svc.spec?.clusterIP ? [a(name, svc.spec.clusterIP)] : []);
      return found(endpoints.map((e) => a(name, e.ip)));
    }
    if (qtype === TYPE.SRV) return srv(z, svc, name, svcFqdn, endpoints, undefined);
    return none(RCODE.NOERROR);
  }
  // _<port>._<proto>.<svc>.<ns>.svc.cluster.local
  if (rest.length === 4 && rest[0]!.startsWith('_') && rest[1]!.startsWith('_')) {
    if (qtype !== TYPE.SRV && qtype !== TYPE.ANY) return none(RCODE.NOERROR);
    const port = rest[0]!.slice(1);
    const proto = rest[1]!.slice(1);
    const r = srv(z, svc, name, svcFqdn, endpoints, { port, proto });
    return r.answers.length ? r : none(RCODE.NXDOMAIN);
  }
  // <endpoint>.<svc>.<ns>.svc.cluster.local (headless only)
  if (rest.length === 3 && headless) {
    const e = endpoints.find((x) => x.host === rest[0]);
    if (!e) return none(RCODE.NXDOMAIN);
    return qtype === TYPE.A || qtype === TYPE.ANY ? found([a(name, e.ip)]) : none(RCODE.NOERROR);
  }
  return none(RCODE.NXDOMAIN);
}

function srv(z: ZoneData, svc: V1Service, qname: string, svcFqdn: string, endpoints: Endpoint[], only: { port: string; proto: string } | undefined): Answer {
  const ports = portsOf(z, svc).filter((p) => !only || ((only.port === p.name.toLowerCase() || only.port === '*') && (only.proto === p.protocol.toLowerCase() || only.proto === '*')));
  const targets = svc.spec?.clusterIP === 'None'
    ? endpoints.map((e) => ({ target: `${e.host}.${svcFqdn}`, ip: e.ip }))
    : [{ target: svcFqdn, ip: svc.spec?.clusterIP ?? '' }];
  const answers: ResourceRecord[] = [];
  const additional = new Map<string, ResourceRecord>();
  const count = ports.length * targets.length;
  // CoreDNS shares a weight of 100 between the records
  const weight = count ? Math.floor(100 / count) : 0;
  for (const p of ports) {
    for (const t of targets) {
      answers.push({ name: `${qname}.`, ttl: TTL, data: { type: 'SRV', priority: 0, weight, port: p.port, target: `${t.target}.` } });
      if (t.ip) additional.set(t.target, a(t.target, t.ip));
    }
  }
  return answers.length ? { rcode: RCODE.NOERROR, answers, authority: [], additional: [...additional.values()] } : { rcode: RCODE.NOERROR, answers: [], authority: [soa(z.serial)], additional: [] };
}
