// The Ingresses the tutorials apply, and the model they must give.
import { describe, expect, it } from 'vitest';
import { CATCH_ALL, DEFAULT_BACKEND } from '../src/model.js';
import { nginxLocations } from '../src/build/build.js';
import { A, backend, build, ingress, ingressClass, routes, selfSigned, server, service, simple, slice, tlsSecret } from './build-fixtures.js';

describe('tutorial 003: host hello.nginx.com → nginx-svc:80', () => {
  // the tutorial's Ingress has no class; the cluster's default IngressClass (ours) claims it
  const m = build({
    ingresses: [simple('example-ingress', 'hello.nginx.com', '/', 'nginx-svc', 80, { className: null })],
    ingressClasses: [ingressClass('nginx', 'k8s.io/ingress-nginx', true)],
    services: [service('nginx-svc', [{ port: 80, targetPort: 80 }])],
    endpointSlices: [slice('nginx-svc', [{ port: 80 }], [{ ip: '10.244.2.7' }, { ip: '10.244.1.4' }, { ip: '10.244.1.9', ready: false }])],
  });

  it('serves the host with one "/" location to default-nginx-svc-80', () => {
    const s = server(m, 'hello.nginx.com');
    expect(routes(s)).toEqual(['/ Prefix -> default-nginx-svc-80']);
    expect(s.locations[0]).toMatchObject({ ingress: { namespace: 'default', name: 'example-ingress' }, service: { name: 'nginx-svc', port: 80 } });
    expect(s.tls).toBeUndefined();
    expect(nginxLocations(s).map((l) => `${l.modifier} ${l.match}`)).toEqual([' /']);
  });

  it('sends the traffic to the ready pods, not the ClusterIP', () => {
    expect(backend(m, 'default-nginx-svc-80')).toEqual({
      name: 'default-nginx-svc-80', service: { namespace: 'default', name: 'nginx-svc' }, port: 80,
      endpoints: [{ address: '10.244.1.4', port: 80 }, { address: '10.244.2.7', port: 80 }], alternativeBackends: [], noServer: false,
    });
  });

  it('answers any other host from the catch-all server with the default backend (404)', () => {
    expect(routes(server(m, CATCH_ALL))).toEqual([`/ Prefix -> ${DEFAULT_BACKEND}`]);
    expect(backend(m, DEFAULT_BACKEND).endpoints).toEqual([]);
    expect(m.servers.map((s) => s.hostname)).toEqual(['_', 'hello.nginx.com']);
    expect(m.rejected).toEqual([]);
  });
});

describe('tutorial 002: minimal Ingress with rewrite-target / and /testpath Prefix', () => {
  const minimal = ingress('minimal-ingress', {
    className: 'nginx-example',
    annotations: { [`${A}rewrite-target`]: '/' },
    rules: [{ paths: [{ path: '/testpath', pathType: 'Prefix', service: 'test', port: 80 }] }],
  });
  const m = build({
    ingresses: [minimal],
    ingressClasses: [ingressClass('nginx-example')],
    services: [service('test', [{ port: 80, targetPort: 8080 }])],
    endpointSlices: [slice('test', [{ port: 8080 }], [{ ip: '10.244.1.20' }])],
  });

  it('puts the host-less rule on the catch-all server, and rewrite-target makes the host regex (as ingress-nginx)', () => {
    const s = server(m, CATCH_ALL);
    expect(routes(s)).toEqual(['/testpath Prefix regex -> default-test-80', `/ Prefix regex -> ${DEFAULT_BACKEND}`]);
    expect(s.locations[0]!.config.rewriteTarget).toBe('/');
    expect(s.locations[1]!.config.rewriteTarget).toBeUndefined();
    expect(nginxLocations(s).map((l) => `${l.modifier} ${l.match}`)).toEqual(['~* ^/testpath', '~* ^/']);
  });

  it('routes to the pods on the target port', () => {
    expect(backend(m, 'default-test-80').endpoints).toEqual([{ address: '10.244.1.20', port: 8080 }]);
  });
});

describe('tutorial 002: fan-out foo.bar.com/foo → service1:4200 and /bar → service2:8080', () => {
  const m = build({
    ingresses: [ingress('simple-fanout-example', {
      rules: [{ host: 'foo.bar.com', paths: [{ path: '/foo', service: 'service1', port: 4200 }, { path: '/bar', service: 'service2', port: 8080 }] }],
    })],
  });

  it('gives one server with both paths before the default "/"', () => {
    expect(routes(server(m, 'foo.bar.com'))).toEqual([
      '/foo Prefix -> default-service1-4200', '/bar Prefix -> default-service2-8080', `/ Prefix -> ${DEFAULT_BACKEND}`,
    ]);
  });

  it('renders a Prefix path as "/foo/" plus an exact "/foo", matching /foo and /foo/bar but not /foobar', () => {
    expect(nginxLocations(server(m, 'foo.bar.com')).map((l) => `${l.modifier} ${l.match}`)).toEqual([' /foo/', '= /foo', ' /bar/', '= /bar', ' /']);
  });

  it('keeps backends whose Services do not exist yet, with no endpoints (503)', () => {
    expect(backend(m, 'default-service1-4200').endpoints).toEqual([]);
    expect(backend(m, 'default-service2-8080').endpoints).toEqual([]);
  });
});

describe('tutorial 004: myblog.devops.cn with a self-signed "/CN=*.devops.cn" certificate', () => {
  const { crt, key } = selfSigned('/CN=*.devops.cn/O=ingress-nginx');
  const m = build({
    ingresses: [ingress('myblog-tls', {
      ns: 'demo',
      rules: [{ host: 'myblog.devops.cn', paths: [{ path: '/', service: 'myblog', port: 80 }] }],
      tls: [{ hosts: ['myblog.devops.cn'], secretName: 'https-secret' }],
    })],
    services: [service('myblog', [{ port: 80, targetPort: 8002 }], 'demo')],
    endpointSlices: [slice('myblog', [{ port: 8002 }], [{ ip: '10.244.1.30' }, { ip: '10.244.2.31' }], 'demo')],
    secrets: [tlsSecret('https-secret', crt, key, 'demo')],
  });

  it('serves the host with the Secret\'s certificate (CN wildcard, no SAN, accepted as upstream does)', () => {
    const s = server(m, 'myblog.devops.cn');
    expect(m.certificates).toHaveLength(1);
    expect(s.tls).toEqual({ certificate: m.certificates[0]!.id });
    expect(m.certificates[0]).toMatchObject({ secret: { namespace: 'demo', name: 'https-secret' }, hosts: ['*.devops.cn'] });
    expect(routes(s)).toEqual(['/ Prefix -> demo-myblog-80']);
  });

  it('routes to the blog pods', () => {
    expect(backend(m, 'demo-myblog-80').endpoints).toEqual([{ address: '10.244.1.30', port: 8002 }, { address: '10.244.2.31', port: 8002 }]);
  });
});
