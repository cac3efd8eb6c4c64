// A corpus entry as Kubernetes objects: the base scene (namespace `sec`, IngressClass `nginx`,
// Service `web` port 80, Ingress `hello`: hello.example.com, `/` Prefix → web:80) with the value
// placed where the entry says, plus whatever that place needs to take effect (a Secret for TLS, a
// main Ingress for a canary, affinity for session-cookie-*). Objects are built as the API would
// return them (Secret data base64) but never validated here: the controller must not rely on the
// API server having done so (a crafted AdmissionReview skips it, CVE-2025-1098).
import type { V1Ingress, V1IngressClass, V1Secret, V1Service } from '@kubernetes/client-node';
import { HELLO_CERT, HELLO_KEY } from './tls-fixture.js';
import { ANNOTATION_PREFIX, BENIGN, type Where } from './where.js';

export type KubeObject = V1Ingress | V1Service | V1Secret | V1IngressClass;

// client-node types `kind` as any string, so narrowing needs these
export const isIngress = (o: KubeObject): o is V1Ingress => o.kind === 'Ingress';
export const isSecret = (o: KubeObject): o is V1Secret => o.kind === 'Secret';
export const isIngressClass = (o: KubeObject): o is V1IngressClass => o.kind === 'IngressClass';

export const NAMESPACE = 'sec';
export const BASE = { host: 'hello.example.com', path: '/', pathType: 'Prefix', service: 'web', port: 80 } as const;
const TLS_SECRET = 'hello-tls';

/**
 * How a render of the same scene without the hostile value may legitimately look:
 * - `benign`: the value replaced by a benign one of its kind (the renderer used the value);
 * - `absent`: the annotation / label / UID / path left out (the renderer dropped an invalid value);
 * - `secret-missing`, `no-tls`: the certificate unusable or TLS dropped (bad Secret data or name);
 * - `ignored`: the Ingress carrying the value left out altogether.
 */
export type VariantLabel = 'benign' | 'absent' | 'secret-missing' | 'no-tls' | 'ignored';

interface Scene {
  objects: KubeObject[];
  /** the Ingress the value is in (or that uses the object the value is in) */
  carrier: V1Ingress;
}

function baseIngress(namespace: string, name: string): V1Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: { name, namespace },
    spec: {
      ingressClassName: 'nginx',
      rules: [{
        host: BASE.host,
        http: { paths: [{ path: BASE.path, pathType: BASE.pathType, backend: { service: { name: BASE.service, port: { number: BASE.port } } } }] },
      }],
    },
  };
}

const service = (namespace: string, name: string, portName = 'http'): V1Service => ({
  apiVersion: 'v1', kind: 'Service',
  metadata: { name, namespace },
  spec: { selector: { app: name }, ports: [{ name: portName, port: BASE.port, targetPort: 8080, protocol: 'TCP' }] },
});

const ingressClass = (name: string): V1IngressClass => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name }, spec: { controller: 'k8s.io/ingress-nginx' },
});

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const tlsSecret = (namespace: string, name: string, crt = HELLO_CERT, key = HELLO_KEY): V1Secret => ({
  apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
  metadata: { name, namespace },
  data: { 'tls.crt': b64(crt), 'tls.key': b64(key) },
});

const backendOf = (ing: V1Ingress) => ing.spec!.rules![0]!.http!.paths[0]!.backend.service!;
const annotate = (ing: V1Ingress, a: Record<string, string>) => {
  ing.metadata!.annotations = { ...ing.metadata!.annotations, ...Object.fromEntries(Object.entries(a).map(([k, v]) => [ANNOTATION_PREFIX + k, v])) };
};

/**
 * The scene with `value` at `where`; `value` undefined builds the `absent` variant, `tls` the
 * TLS variants. Returns undefined when the variant makes no sense for that place.
 */
function scene(where: Where, value: string | undefined, tls: 'secret' | 'secret-missing' | 'no-tls' = 'secret'): Scene | undefined {
  const ns = where === 'metadata.namespace' && value !== undefined ? value : NAMESPACE;
  const cls = ingressClass(where === 'ingressClassName' && value !== undefined ? value : 'nginx');
  const svc = service(ns, BASE.service);
  const main = baseIngress(ns, 'hello');
  const objects: KubeObject[] = [cls, svc, main];
  let carrier = main;
  const v = value ?? '';

  const withTls = (hosts: string[], secretName: string, crt?: string, key?: string) => {
    if (tls === 'no-tls') return;
    main.spec!.tls = [{ hosts, secretName }];
    if (tls === 'secret') objects.push(tlsSecret(ns, secretName, crt, key));
  };

  if (where === 'rule.host') {
    if (value === undefined) return undefined;
    main.spec!.rules![0]!.host = v;
  } else if (where.startsWith('path.')) {
    const http = main.spec!.rules![0]!.http!;
    if (value === undefined) http.paths = [];
    else Object.assign(http.paths[0]!, { path: v, pathType: where.slice('path.'.length) });
  } else if (where === 'backend.service.name') {
    if (value === undefined) return undefined;
    backendOf(main).name = v;
    svc.metadata!.name = v;
  } else if (where === 'backend.service.port.name') {
    if (value === undefined) return undefined;
    backendOf(main).port = { name: v };
    svc.spec!.ports![0]!.name = v;
  } else if (where === 'tls.secretName') {
    if (value === undefined) return undefined;
    withTls([BASE.host], v);
  } else if (where === 'tls.hosts') {
    if (value === undefined) return undefined;
    withTls([v], TLS_SECRET);
  } else if (where === 'secret:tls.crt' || where === 'secret:tls.key') {
    if (value === undefined) return undefined;
    withTls([BASE.host], TLS_SECRET, where === 'secret:tls.crt' ? v : HELLO_CERT, where === 'secret:tls.key' ? v : HELLO_KEY);
  } else if (where === 'ingressClassName') {
    if (value === undefined) return undefined;
    main.spec!.ingressClassName = v;
  } else if (where.startsWith('annotation:canary')) {
    // canary annotations only mean something on a second Ingress for the same host and path
    const name = where.slice('annotation:'.length);
    if (value === undefined && name === 'canary') return undefined;
    const canary = baseIngress(ns, 'hello-canary');
    backendOf(canary).name = 'web-canary';
    annotate(canary, { canary: 'true', ...(value === undefined ? {} : { [name]: v }) });
    objects.push(service(ns, 'web-canary'), canary);
    carrier = canary;
  } else if (where.startsWith('annotation:') || where.startsWith('snippet:')) {
    const name = where.slice(where.indexOf(':') + 1);
    if (name.startsWith('session-cookie-')) annotate(main, { affinity: 'cookie' });
    if (value !== undefined) annotate(main, { [name]: v });
  } else if (where === 'metadata.namespace') {
    if (value === undefined) return undefined;
  } else if (where === 'metadata.name') {
    if (value === undefined) return undefined;
    main.metadata!.name = v;
  } else if (where === 'metadata.uid') {
    if (value !== undefined) main.metadata!.uid = v;
  } else if (where === 'metadata.label') {
    if (value !== undefined) main.metadata!.labels = { app: v };
  }
  return { objects, carrier };
}

/** The objects for a value at a place (the scene a corpus entry describes). */
export function manifestsFor(entry: { where: Where; value: string }): KubeObject[] {
  return scene(entry.where, entry.value)!.objects;
}

/** Just the Ingress that carries the value. */
export function ingressFor(entry: { where: Where; value: string }): V1Ingress {
  return scene(entry.where, entry.value)!.carrier;
}

export interface Variant {
  label: VariantLabel;
  objects: KubeObject[];
}

/**
 * The renders a hostile entry's render may equal, `benign` first (see VariantLabel). `twin`
 * overrides the benign value where the default one would take a different rendering branch.
 */
export function twinsFor(entry: { where: Where; value: string; twin?: string }): Variant[] {
  const benignValue = entry.twin ?? BENIGN[entry.where];
  const out: Variant[] = [{ label: 'benign', objects: scene(entry.where, benignValue)!.objects }];
  const absent = scene(entry.where, undefined);
  if (absent) out.push({ label: 'absent', objects: absent.objects });
  if (entry.where === 'tls.secretName' || entry.where.startsWith('secret:')) {
    out.push({ label: 'secret-missing', objects: scene(entry.where, benignValue, 'secret-missing')!.objects });
  }
  if (entry.where.startsWith('tls.') || entry.where.startsWith('secret:')) {
    out.push({ label: 'no-tls', objects: scene(entry.where, benignValue, 'no-tls')!.objects });
  }
  const benign = scene(entry.where, benignValue)!;
  out.push({ label: 'ignored', objects: benign.objects.filter((o) => o !== benign.carrier) });
  return out;
}

/**
 * The benign scene without any Ingress: what the controller renders for none. The benign twin must
 * differ from it, or matching the twin proves nothing (wrong class, missing Service…). Not a
 * variant a hostile render may match: a canary that makes its main Ingress vanish is not "ignored".
 */
export function emptySceneFor(entry: { where: Where; twin?: string }): KubeObject[] {
  return scene(entry.where, entry.twin ?? BENIGN[entry.where])!.objects.filter((o) => o.kind !== 'Ingress');
}
