// Small builders for models in tests, and the representative model of the golden file: tutorial
// 003's hello.nginx.com → nginx-svc, a fan-out host, a TLS host, a canary, cookie affinity,
// rewrite-target, a whitelist, a wildcard host, gRPC, and the catch-all.

import { CATCH_ALL, DEFAULT_BACKEND, type Backend, type Certificate, type IngressModel, type Location, type LocationConfig, type Server } from '../src/model.js';
import { DEFAULT_LOCATION_CONFIG } from '../src/render/env.js';

/** a location; for a backend named `<namespace>-<service>-<port>` the Ingress and Service are filled in */
export function loc(path: string, backend: string, opts: Partial<Omit<Location, 'config'>> & { config?: Partial<LocationConfig> } = {}): Location {
  const parts = backend.split('-');
  const named = backend !== DEFAULT_BACKEND && parts.length >= 3;
  const ns = parts[0] ?? '';
  const svc = parts.slice(1, -1).join('-');
  const port = Number(parts[parts.length - 1]);
  return {
    path,
    pathType: 'Prefix',
    regex: false,
    ...(named ? { ingress: { namespace: ns, name: `${svc}-ingress` }, service: { name: svc, port } } : {}),
    ...opts,
    backend,
    config: { ...DEFAULT_LOCATION_CONFIG, ...opts.config },
  };
}

export function backend(name: string, endpoints: [string, number][] = [], extra: Partial<Backend> = {}): Backend {
  return { name, endpoints: endpoints.map(([address, port]) => ({ address, port })), alternativeBackends: [], noServer: false, ...extra };
}

export function model(servers: Server[], backends: Backend[], certificates: Certificate[] = []): IngressModel {
  const all = backends.some((b) => b.name === DEFAULT_BACKEND) ? backends : [...backends, backend(DEFAULT_BACKEND)];
  const withCatchAll = servers.some((s) => s.hostname === CATCH_ALL) ? servers : [...servers, { hostname: CATCH_ALL, locations: [loc('/', DEFAULT_BACKEND)] }];
  return {
    servers: [...withCatchAll].sort((a, b) => (a.hostname < b.hostname ? -1 : 1)),
    backends: [...all].sort((a, b) => (a.name < b.name ? -1 : 1)),
    certificates,
    rejected: [],
  };
}

export const GOLDEN_CERT: Certificate = {
  id: 'b1946ac92492d234',
  secret: { namespace: 'default', name: 'secure-tls' },
  pem: '-----BEGIN CERTIFICATE-----\n(not parsed by the renderer)\n-----END CERTIFICATE-----\n',
  hosts: ['secure.example.com'],
};

export function representativeModel(): IngressModel {
  return model(
    [
      { hostname: '*.wild.example.com', locations: [loc('/', 'default-wild-80')] },
      {
        hostname: 'admin.example.com',
        locations: [loc('/', 'default-admin-80', { config: { allowSourceRanges: ['10.0.0.0/8', '192.168.1.1'], proxyBodySize: '8m' } })],
      },
      { hostname: 'app.example.com', locations: [loc('/', 'default-app-v1-80')] },
      {
        hostname: 'cafe.example.com',
        locations: [
          loc('/coffee/menu', 'default-coffee-svc-80', { pathType: 'Exact' }),
          loc('/coffee', 'default-coffee-svc-80'),
          loc('/tea/', 'default-tea-svc-80'),
          loc('/', DEFAULT_BACKEND),
        ],
      },
      { hostname: 'grpc.example.com', locations: [loc('/', 'default-grpc-svc-50051', { config: { backendProtocol: 'GRPC', proxyReadTimeout: 3600 } })] },
      { hostname: 'hello.nginx.com', locations: [loc('/', 'default-nginx-svc-80')] },
      {
        hostname: 'rewrite.example.com',
        locations: [loc('/api(/|$)(.*)', 'default-api-svc-8080', { pathType: 'ImplementationSpecific', regex: true, config: { rewriteTarget: '/$2' } })],
      },
      {
        hostname: 'secure.example.com',
        tls: { certificate: GOLDEN_CERT.id },
        locations: [loc('/', 'default-secure-svc-443', { config: { backendProtocol: 'HTTPS', proxyConnectTimeout: 10 } })],
      },
      { hostname: 'sticky.example.com', locations: [loc('/', 'default-sticky-svc-80')] },
    ],
    [
      backend('default-admin-80', [['10.244.1.10', 80]]),
      backend('default-api-svc-8080', [['10.244.1.11', 8080]]),
      backend('default-app-v1-80', [['10.244.1.12', 80], ['10.244.2.12', 80]], { alternativeBackends: ['default-app-v2-80'] }),
      backend('default-app-v2-80', [['10.244.1.13', 80]], {
        noServer: true,
        trafficShaping: { weight: 20, weightTotal: 100, header: 'X-Canary' },
      }),
      backend('default-coffee-svc-80', [['10.244.1.14', 80]]),
      backend('default-grpc-svc-50051', [['10.244.1.15', 50051]]),
      backend('default-nginx-svc-80', [['10.244.1.16', 80], ['10.244.2.16', 80]]),
      backend('default-secure-svc-443', [['10.244.1.17', 443]]),
      backend('default-sticky-svc-80', [['10.244.1.18', 80], ['10.244.2.18', 80]], {
        sessionAffinity: { name: 'INGRESSCOOKIE', path: '/', maxAge: 172800, mode: 'balanced' },
      }),
      backend('default-tea-svc-80', [['10.244.1.19', 80]]),
      backend('default-wild-80', [['10.244.1.20', 80]]),
    ],
    [GOLDEN_CERT],
  );
}
