// Small builders for the API objects the model builder reads, and certificates made with openssl.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1EndpointSlice, V1HTTPIngressPath, V1Ingress, V1IngressClass, V1Secret, V1Service } from '@kubernetes/client-node';
import { execaSync } from 'execa';
import { DEFAULT_LOCATION_CONFIG, buildModel, type BuildOptions, type ClusterSnapshot } from '../src/build/build.js';
import type { IngressModel, Server } from '../src/model.js';

export const A = 'nginx.ingress.kubernetes.io/';

export interface PathSpec { path?: string; pathType?: string; service: string; port: number | string }
export interface RuleSpec { host?: string; paths?: PathSpec[] }

export function ingress(name: string, o: {
  ns?: string; created?: string; /** null: no class at all */ className?: string | null; annotations?: Record<string, string>;
  rules?: RuleSpec[]; defaultBackend?: { service: string; port: number | string };
  tls?: Array<{ hosts?: string[]; secretName?: string }>;
} = {}): V1Ingress {
  const backend = (service: string, port: number | string) => ({ service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } });
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: { namespace: o.ns ?? 'default', name, creationTimestamp: new Date(o.created ?? '2024-01-01T00:00:00Z'), annotations: o.annotations ?? {} },
    spec: {
      ...(o.className === null ? {} : { ingressClassName: o.className ?? 'nginx' }),
      ...(o.defaultBackend ? { defaultBackend: backend(o.defaultBackend.service, o.defaultBackend.port) } : {}),
      rules: (o.rules ?? []).map((r) => ({
        ...(r.host ? { host: r.host } : {}),
        ...(r.paths ? { http: { paths: r.paths.map((p): V1HTTPIngressPath => ({ path: p.path ?? '/', pathType: p.pathType ?? 'Prefix', backend: backend(p.service, p.port) })) } } : {}),
      })),
      ...(o.tls ? { tls: o.tls } : {}),
    },
  };
}

/** one-rule shorthand: host, path → service:port */
export const simple = (name: string, host: string | undefined, path: string, service: string, port: number | string, extra: Parameters<typeof ingress>[1] = {}) =>
  ingress(name, { rules: [{ host, paths: [{ path, service, port }] }], ...extra });

export function service(name: string, ports: Array<{ name?: string; port: number; targetPort?: number | string }>, ns = 'default', type = 'ClusterIP'): V1Service {
  return { metadata: { namespace: ns, name }, spec: { type, clusterIP: '10.96.0.100', ports: ports.map((p) => ({ protocol: 'TCP', ...p })) } };
}

export interface Ep { ip: string; ready?: boolean; serving?: boolean; terminating?: boolean }

export function slice(svc: string, ports: Array<{ name?: string; port: number }>, eps: Ep[], ns = 'default', suffix = 'abcde'): V1EndpointSlice {
  return {
    metadata: { namespace: ns, name: `${svc}-${suffix}`, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, ...(e.serving === undefined ? {} : { serving: e.serving }), ...(e.terminating === undefined ? {} : { terminating: e.terminating }) },
    })),
  };
}

export function ingressClass(name: string, controller = 'k8s.io/ingress-nginx', isDefault = false): V1IngressClass {
  return { metadata: { name, annotations: isDefault ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : {} }, spec: { controller } };
}

export function tlsSecret(name: string, crt: string, key: string, ns = 'default', type = 'kubernetes.io/tls'): V1Secret {
  return { metadata: { namespace: ns, name }, type, data: { 'tls.crt': Buffer.from(crt).toString('base64'), 'tls.key': Buffer.from(key).toString('base64') } };
}

/** a self-signed certificate and its key, made by openssl as the tutorials make them */
export function selfSigned(subject: string, san?: string[]): { crt: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'svclab-cert-'));
  try {
    const args = ['req', '-x509', '-nodes', '-days', '30', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-subj', subject];
    if (san) args.push('-addext', `subjectAltName=${san.map((s) => `DNS:${s}`).join(',')}`);
    execaSync('openssl', args);
    return { crt: readFileSync(join(dir, 'tls.crt'), 'utf8'), key: readFileSync(join(dir, 'tls.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const OPTIONS: BuildOptions = {
  ingressClass: 'nginx', controllerClass: 'k8s.io/ingress-nginx', watchIngressWithoutClass: false, defaults: { ...DEFAULT_LOCATION_CONFIG, allowSourceRanges: [] },
};

export function build(s: Partial<ClusterSnapshot>, o: Partial<BuildOptions> = {}): IngressModel {
  return buildModel(
    { ingresses: [], ingressClasses: [ingressClass('nginx')], services: [], endpointSlices: [], secrets: [], ...s },
    { ...OPTIONS, ...o },
  );
}

export function server(m: IngressModel, hostname: string): Server {
  const s = m.servers.find((x) => x.hostname === hostname);
  if (!s) throw new Error(`no server ${hostname}; servers: ${m.servers.map((x) => x.hostname).join(', ')}`);
  return s;
}

/** "<path> <pathType>[ regex] -> backend" per location, the shape tests compare */
export const routes = (s: Server) => s.locations.map((l) => `${l.path} ${l.pathType}${l.regex ? ' regex' : ''} -> ${l.backend}`);

export const backend = (m: IngressModel, name: string) => {
  const b = m.backends.find((x) => x.name === name);
  if (!b) throw new Error(`no backend ${name}; backends: ${m.backends.map((x) => x.name).join(', ')}`);
  return b;
};
