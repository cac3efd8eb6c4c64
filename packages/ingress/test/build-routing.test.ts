// Hosts, paths, merging, default backends and endpoints: what a user sees when curling the ingress.
import { describe, expect, it } from 'vitest';
import { CATCH_ALL, DEFAULT_BACKEND } from '../src/model.js';
import { buildModel, nginxLocations, type ClusterSnapshot } from '../src/build/build.js';
import { A, OPTIONS, backend, build, ingress, ingressClass, routes, server, service, simple, slice } from './build-fixtures.js';

const blocks = (m: ReturnType<typeof build>, host: string) => nginxLocations(server(m, host)).map((l) => `${l.modifier} ${l.match} -> ${l.location.backend}`);

describe('hosts', () => {
  it('gives exact and wildcard hosts their own servers, sorted, next to the catch-all', () => {
    const m = build({ ingresses: [simple('w', '*.foo.com', '/', 'wild', 80), simple('e', 'a.foo.com', '/', 'exact', 80)] });
    expect(m.servers.map((s) => s.hostname)).toEqual(['*.foo.com', '_', 'a.foo.com']);
    expect(routes(server(m, '*.foo.com'))).toEqual(['/ Prefix -> default-wild-80']);
    expect(routes(server(m, 'a.foo.com'))).toEqual(['/ Prefix -> default-exact-80']);
  });

  it('puts rules without a host on the catch-all server, keeping the default backend for the rest', () => {
    const m = build({ ingresses: [simple('a', undefined, '/app', 'app', 80)] });
    expect(routes(server(m, CATCH_ALL))).toEqual(['/app Prefix -> default-app-80', `/ Prefix -> ${DEFAULT_BACKEND}`]);
  });

  it('creates a server for a rule without http paths, answering with the default backend', () => {
    const m = build({ ingresses: [ingress('h', { rules: [{ host: 'nothing.example.com' }] })] });
    expect(routes(server(m, 'nothing.example.com'))).toEqual([`/ Prefix -> ${DEFAULT_BACKEND}`]);
  });
});

describe('paths', () => {
  const m = build({
    ingresses: [ingress('p', {
      rules: [{
        host: 'p.example.com',
        paths: [
          { path: '/', service: 'root', port: 80 },
          { path: '/foo', pathType: 'Prefix', service: 'prefix', port: 80 },
          { path: '/foo', pathType: 'Exact', service: 'exact', port: 80 },
          { path: '/foo/bar', pathType: 'Prefix', service: 'deep', port: 80 },
          { path: '/impl', pathType: 'ImplementationSpecific', service: 'impl', port: 80 },
        ],
      }],
    })],
  });

  it('orders locations longest first, Exact before Prefix of the same path', () => {
    expect(routes(server(m, 'p.example.com'))).toEqual([
      '/foo/bar Prefix -> default-deep-80', '/impl ImplementationSpecific -> default-impl-80',
      '/foo Exact -> default-exact-80', '/foo Prefix -> default-prefix-80', '/ Prefix -> default-root-80',
    ]);
  });

  it('renders Exact as "=", Prefix element-wise, ImplementationSpecific as Prefix (ingress-nginx), no duplicate exact block', () => {
    expect(blocks(m, 'p.example.com')).toEqual([
      ' /foo/bar/ -> default-deep-80', '= /foo/bar -> default-deep-80',
      ' /impl/ -> default-impl-80', '= /impl -> default-impl-80',
      '= /foo -> default-exact-80',
      ' /foo/ -> default-prefix-80',
      ' / -> default-root-80',
    ]);
  });

  it('makes every location of a host regex when one Ingress on it uses use-regex', () => {
    const r = build({
      ingresses: [
        ingress('regex', { annotations: { [`${A}use-regex`]: 'true' }, rules: [{ host: 'r.example.com', paths: [{ path: '/api/v[0-9]+/(.*)', pathType: 'ImplementationSpecific', service: 'api', port: 80 }] }] }),
        simple('plain', 'r.example.com', '/static', 'static', 80),
        simple('other', 'o.example.com', '/static', 'static', 80),
      ],
    });
    expect(routes(server(r, 'r.example.com'))).toEqual([
      '/api/v[0-9]+/(.*) ImplementationSpecific regex -> default-api-80', '/static Prefix regex -> default-static-80', `/ Prefix regex -> ${DEFAULT_BACKEND}`,
    ]);
    expect(blocks(r, 'r.example.com')[0]).toBe('~* ^/api/v[0-9]+/(.*) -> default-api-80');
    expect(routes(server(r, 'o.example.com'))).toEqual(['/static Prefix -> default-static-80', `/ Prefix -> ${DEFAULT_BACKEND}`]);
  });

  it('does not turn a host regex for a rewrite-target equal to the path', () => {
    const r = build({ ingresses: [simple('same', 'same.example.com', '/app', 'app', 80, { annotations: { [`${A}rewrite-target`]: '/app' } })] });
    expect(server(r, 'same.example.com').locations.every((l) => !l.regex)).toBe(true);
  });

  it('treats an empty path as "/" and a missing pathType as Prefix', () => {
    const ing = simple('e', 'e.example.com', '/', 'svc', 80);
    const path = ing.spec!.rules![0]!.http!.paths[0]!;
    path.path = '';
    (path as { pathType?: string }).pathType = undefined;
    expect(routes(server(build({ ingresses: [ing] }), 'e.example.com'))).toEqual(['/ Prefix -> default-svc-80']);
  });

  it('skips paths with a resource backend, as upstream', () => {
    const ing = simple('r', 'res.example.com', '/bucket', 'svc', 80);
    ing.spec!.rules![0]!.http!.paths[0]!.backend = { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static' } };
    const r = build({ ingresses: [ing] });
    expect(routes(server(r, 'res.example.com'))).toEqual([`/ Prefix -> ${DEFAULT_BACKEND}`]);
    expect(r.rejected).toEqual([]);
  });
});

describe('several Ingresses on one host', () => {
  const t1 = '2024-01-01T00:00:00Z';
  const t2 = '2024-02-01T00:00:00Z';

  it('merges their paths into one server', () => {
    const m = build({ ingresses: [simple('a', 'shop.example.com', '/cart', 'cart', 80), simple('b', 'shop.example.com', '/pay', 'pay', 80)] });
    expect(routes(server(m, 'shop.example.com'))).toEqual(['/cart Prefix -> default-cart-80', '/pay Prefix -> default-pay-80', `/ Prefix -> ${DEFAULT_BACKEND}`]);
  });

  it('lets the oldest Ingress keep a host + path + pathType, whatever the input order', () => {
    const old = simple('new-name', 'c.example.com', '/x', 'old', 80, { created: t1 });
    const young = simple('a-name', 'c.example.com', '/x', 'young', 80, { created: t2 });
    for (const ingresses of [[old, young], [young, old]]) {
      const m = build({ ingresses });
      expect(routes(server(m, 'c.example.com'))[0]).toBe('/x Prefix -> default-old-80');
      expect(m.rejected).toEqual([]); // upstream only logs the loser; its other paths still serve
    }
  });

  it('breaks a creationTimestamp tie by namespace/name, descending, as upstream sortIngressSlice', () => {
    const m = build({ ingresses: [simple('a', 't.example.com', '/x', 'from-a', 80), simple('b', 't.example.com', '/x', 'from-b', 80)] });
    expect(routes(server(m, 't.example.com'))[0]).toBe('/x Prefix -> default-from-b-80');
  });

  it('treats Prefix "/x/", Prefix "/x" and ImplementationSpecific "/x" as one location, but Exact "/x" as another', () => {
    const m = build({
      ingresses: [
        simple('one', 'd.example.com', '/x/', 'one', 80, { created: t1 }),
        ingress('two', { created: t2, rules: [{ host: 'd.example.com', paths: [{ path: '/x', service: 'two', port: 80 }, { path: '/x', pathType: 'ImplementationSpecific', service: 'three', port: 80 }, { path: '/x', pathType: 'Exact', service: 'four', port: 80 }] }] }),
      ],
    });
    expect(routes(server(m, 'd.example.com'))).toEqual(['/x/ Prefix -> default-one-80', '/x Exact -> default-four-80', `/ Prefix -> ${DEFAULT_BACKEND}`]);
    expect(blocks(m, 'd.example.com')).toEqual([' /x/ -> default-one-80', '= /x -> default-four-80', ` / -> ${DEFAULT_BACKEND}`]);
  });

  it('lets a rule for "/" replace the default "/" another Ingress created for the host', () => {
    const m = build({ ingresses: [simple('a', 'r.example.com', '/a', 'a', 80, { created: t1 }), simple('b', 'r.example.com', '/', 'root', 80, { created: t2 })] });
    expect(routes(server(m, 'r.example.com'))).toEqual(['/a Prefix -> default-a-80', '/ Prefix -> default-root-80']);
  });
});

describe('default backends', () => {
  it('sends unmatched requests to the controller default backend (404) when nothing else is configured', () => {
    const m = build({});
    expect(m.servers).toEqual([{ hostname: '_', locations: [expect.objectContaining({ path: '/', backend: DEFAULT_BACKEND, regex: false })] }]);
    expect(server(m, '_').locations[0]!.ingress).toBeUndefined();
    expect(m.backends).toEqual([{ name: DEFAULT_BACKEND, endpoints: [], alternativeBackends: [], noServer: false }]);
  });

  it('uses --default-backend-service (its first port) for the default backend', () => {
    const m = build(
      {
        services: [service('custom-404', [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'metrics', port: 9090 }], 'ingress-nginx')],
        endpointSlices: [slice('custom-404', [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9090 }], [{ ip: '10.244.0.9' }], 'ingress-nginx')],
      },
      { defaultBackendService: { namespace: 'ingress-nginx', name: 'custom-404' } },
    );
    expect(backend(m, DEFAULT_BACKEND)).toMatchObject({ service: { namespace: 'ingress-nginx', name: 'custom-404' }, port: 80, endpoints: [{ address: '10.244.0.9', port: 8080 }] });
  });

  it('routes the catch-all "/" to an Ingress spec.defaultBackend, and the hosts that Ingress creates', () => {
    const m = build({
      ingresses: [
        ingress('only-default', { defaultBackend: { service: 'fallback', port: 80 }, created: '2024-01-01T00:00:00Z' }),
        ingress('later-default', { defaultBackend: { service: 'later', port: 80 }, created: '2024-03-01T00:00:00Z' }),
        ingress('with-rules', { defaultBackend: { service: 'site-default', port: 8080 }, rules: [{ host: 'site.example.com', paths: [{ path: '/api', service: 'api', port: 80 }] }], created: '2024-02-01T00:00:00Z' }),
      ],
    });
    const catchAll = server(m, CATCH_ALL).locations;
    expect(routes(server(m, CATCH_ALL))).toEqual(['/ Prefix -> default-fallback-80']); // the oldest wins
    expect(catchAll[0]).toMatchObject({ ingress: { namespace: 'default', name: 'only-default' }, service: { name: 'fallback', port: 80 } });
    expect(routes(server(m, 'site.example.com'))).toEqual(['/api Prefix -> default-api-80', '/ Prefix -> default-site-default-8080']);
    expect(m.backends.map((b) => b.name)).not.toContain('default-later-80');
  });
});

describe('endpoints', () => {
  const web = service('web', [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'admin', port: 9000, targetPort: 9001 }]);
  const webSlice = slice('web', [{ name: 'http', port: 8080 }, { name: 'admin', port: 9001 }], [{ ip: '10.244.2.2' }, { ip: '10.244.1.2' }]);

  it('resolves a port by number or by name to the pods\' target port', () => {
    const m = build({ ingresses: [simple('n', 'n.example.com', '/', 'web', 80), simple('s', 's.example.com', '/', 'web', 'admin')], services: [web], endpointSlices: [webSlice] });
    expect(backend(m, 'default-web-80').endpoints).toEqual([{ address: '10.244.1.2', port: 8080 }, { address: '10.244.2.2', port: 8080 }]);
    expect(backend(m, 'default-web-admin')).toMatchObject({ port: 'admin', endpoints: [{ address: '10.244.1.2', port: 9001 }, { address: '10.244.2.2', port: 9001 }] });
    expect(server(m, 's.example.com').locations[0]!.service).toEqual({ name: 'web', port: 'admin' });
  });

  it('has no endpoints (503) for a missing Service, a missing port, or an ExternalName Service', () => {
    const m = build({
      ingresses: [simple('a', 'a.example.com', '/', 'absent', 80), simple('b', 'b.example.com', '/', 'web', 81), simple('c', 'c.example.com', '/', 'web', 'nope'), simple('d', 'd.example.com', '/', 'ext', 80)],
      services: [web, service('ext', [{ port: 80 }], 'default', 'ExternalName')],
      endpointSlices: [webSlice],
    });
    for (const name of ['default-absent-80', 'default-web-81', 'default-web-nope', 'default-ext-80']) expect(backend(m, name).endpoints).toEqual([]);
  });

  it('uses ready endpoints only, and serving terminating ones only when none is ready', () => {
    const svc = service('app', [{ port: 80 }]);
    const mixed = slice('app', [{ port: 80 }], [{ ip: '10.0.0.1' }, { ip: '10.0.0.2', ready: false, serving: true, terminating: true }, { ip: '10.0.0.3', ready: false }]);
    const draining = slice('app', [{ port: 80 }], [{ ip: '10.0.0.2', ready: false, serving: true, terminating: true }, { ip: '10.0.0.3', ready: false, serving: false, terminating: true }]);
    const ing = simple('a', 'a.example.com', '/', 'app', 80);
    expect(backend(build({ ingresses: [ing], services: [svc], endpointSlices: [mixed] }), 'default-app-80').endpoints).toEqual([{ address: '10.0.0.1', port: 80 }]);
    expect(backend(build({ ingresses: [ing], services: [svc], endpointSlices: [draining] }), 'default-app-80').endpoints).toEqual([{ address: '10.0.0.2', port: 80 }]);
  });

  it('joins all slices of the Service, without duplicates, and ignores other namespaces', () => {
    const svc = service('app', [{ port: 80 }]);
    const m = build({
      ingresses: [simple('a', 'a.example.com', '/', 'app', 80)],
      services: [svc],
      endpointSlices: [
        slice('app', [{ port: 80 }], [{ ip: '10.0.0.9' }, { ip: '10.0.0.1' }], 'default', 'one'),
        slice('app', [{ port: 80 }], [{ ip: '10.0.0.1' }, { ip: '10.0.0.5' }], 'default', 'two'),
        slice('app', [{ port: 80 }], [{ ip: '10.9.9.9' }], 'elsewhere'),
      ],
    });
    expect(backend(m, 'default-app-80').endpoints.map((e) => e.address)).toEqual(['10.0.0.1', '10.0.0.5', '10.0.0.9']);
  });
});

describe('determinism', () => {
  it('gives the same model whatever the order of the input objects', () => {
    const snapshot: ClusterSnapshot = {
      ingresses: [
        simple('a', 'x.example.com', '/a', 'svc-a', 80),
        simple('b', 'x.example.com', '/b', 'svc-b', 80),
        ingress('c', { rules: [{ host: 'y.example.com', paths: [{ path: '/c', pathType: 'Exact', service: 'svc-a', port: 80 }] }, { paths: [{ path: '/d', service: 'svc-b', port: 80 }] }] }),
      ],
      ingressClasses: [ingressClass('other', 'example.com/other'), ingressClass('nginx')],
      services: [service('svc-a', [{ port: 80 }]), service('svc-b', [{ port: 80 }])],
      endpointSlices: [slice('svc-a', [{ port: 80 }], [{ ip: '10.0.0.2' }, { ip: '10.0.0.1' }]), slice('svc-b', [{ port: 80 }], [{ ip: '10.0.0.3' }])],
      secrets: [],
    };
    const reversed: ClusterSnapshot = {
      ingresses: [...snapshot.ingresses].reverse(), ingressClasses: [...snapshot.ingressClasses].reverse(),
      services: [...snapshot.services].reverse(), endpointSlices: [...snapshot.endpointSlices].reverse(), secrets: [],
    };
    expect(JSON.stringify(buildModel(reversed, OPTIONS))).toBe(JSON.stringify(buildModel(snapshot, OPTIONS)));
  });
});
