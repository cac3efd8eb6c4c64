// The cluster DNS answered through a real resolver (Node's c-ares), over UDP and, for a reply too
// large for 512 bytes, over TCP after the truncated UDP answer.
import { Resolver } from 'node:dns/promises';
import type { AddressInfo } from 'node:net';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDns, type DnsServer } from '../src/dns/server.js';
import { answer, type ZoneData } from '../src/dns/zone.js';

const svc = (ns: string, name: string, spec: V1Service['spec']): V1Service => ({ metadata: { namespace: ns, name }, spec });
const slice = (ns: string, service: string, ips: Array<[string, boolean, string?]>, port = 80): V1EndpointSlice => ({
  metadata: { namespace: ns, name: `${service}-x`, labels: { 'kubernetes.io/service-name': service } }, addressType: 'IPv4',
  ports: [{ name: 'http', port, protocol: 'TCP' }],
  endpoints: ips.map(([ip, ready, hostname]) => ({ addresses: [ip], conditions: { ready }, ...(hostname ? { hostname } : {}) })),
});

const many = Array.from({ length: 60 }, (_, i) => `10.244.2.${i + 10}`);
const zone: ZoneData = {
  serial: 7,
  services: [
    svc('default', 'sample-clusterip', { clusterIP: '10.96.59.224', ports: [{ name: 'http-port', port: 8080, protocol: 'TCP' }] }),
    svc('demo', 'db', { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] }),
    svc('demo', 'big', { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] }),
    svc('demo', 'ext', { type: 'ExternalName', externalName: 'www.example.com' }),
  ],
  slices: [
    slice('demo', 'db', [['10.244.1.5', true, 'db-0'], ['10.244.1.6', true], ['10.244.1.7', false]]),
    slice('demo', 'big', many.map((ip) => [ip, true])),
  ],
};

let server: DnsServer;
const r = new Resolver({ timeout: 2000, tries: 1 });
beforeAll(async () => {
  server = await serveDns('127.0.0.1', 0, (name, type) => answer(zone, name, type));
  // UDP and TCP were bound separately: take the UDP port and make sure TCP has the same
  const port = (server.udp.address() as AddressInfo).port;
  await server.close();
  server = await serveDns('127.0.0.1', port, (name, type) => answer(zone, name, type));
  r.setServers([`127.0.0.1:${port}`]);
});
afterAll(() => server?.close());

const code = (p: Promise<unknown>) => p.then(() => 'answered', (e: NodeJS.ErrnoException) => e.code);

describe('cluster DNS (CoreDNS kubernetes plugin behaviour)', () => {
  it('answers a Service name with its ClusterIP, TTL 30', async () => {
    expect(await r.resolve4('sample-clusterip.default.svc.cluster.local', { ttl: true })).toEqual([{ address: '10.96.59.224', ttl: 30 }]);
  });

  it('answers SRV for a named port, and the reverse name of a ClusterIP', async () => {
    expect(await r.resolveSrv('_http-port._tcp.sample-clusterip.default.svc.cluster.local'))
      .toEqual([{ priority: 0, weight: 100, port: 8080, name: 'sample-clusterip.default.svc.cluster.local' }]);
    expect(await r.reverse('10.96.59.224')).toEqual(['sample-clusterip.default.svc.cluster.local']);
  });

  it('answers a headless Service with its ready endpoints, each by hostname or dashed IP', async () => {
    expect((await r.resolve4('db.demo.svc.cluster.local')).sort()).toEqual(['10.244.1.5', '10.244.1.6']);
    expect(await r.resolve4('db-0.db.demo.svc.cluster.local')).toEqual(['10.244.1.5']);
    expect(await r.resolve4('10-244-1-6.db.demo.svc.cluster.local')).toEqual(['10.244.1.6']);
    expect((await r.resolveSrv('_http._tcp.db.demo.svc.cluster.local')).map((s) => `${s.weight} ${s.port} ${s.name}`).sort())
      .toEqual(['50 80 10-244-1-6.db.demo.svc.cluster.local', '50 80 db-0.db.demo.svc.cluster.local']);
  });

  it('answers more than fits in 512 bytes over TCP after a truncated UDP reply', async () => {
    expect((await r.resolve4('big.demo.svc.cluster.local')).sort()).toEqual([...many].sort());
  });

  it('answers an ExternalName Service with a CNAME, and pod names with their address', async () => {
    expect(await r.resolveCname('ext.demo.svc.cluster.local')).toEqual(['www.example.com']);
    expect(await r.resolve4('10-244-1-5.demo.pod.cluster.local')).toEqual(['10.244.1.5']);
  });

  it('says NXDOMAIN for a name that is not there, no data for another type, SERVFAIL outside the zone', async () => {
    expect(await code(r.resolve4('nope.default.svc.cluster.local'))).toBe('ENOTFOUND');
    expect(await code(r.resolve6('sample-clusterip.default.svc.cluster.local'))).toBe('ENODATA');
    expect(await code(r.resolve4('www.example.com'))).toBe('ESERVFAIL');
  });
});
