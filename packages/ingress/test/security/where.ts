// Every place an Ingress (or an object it names) can carry a user-chosen string into the
// controller, and the benign value of the same kind that stands in for a hostile one in the
// "benign twin" the proof compares against.
import { HELLO_CERT, HELLO_KEY } from './tls-fixture.js';

/** the annotations the controller supports (nginx.ingress.kubernetes.io/<name>) */
export const ANNOTATIONS = [
  'rewrite-target', 'use-regex', 'ssl-redirect', 'force-ssl-redirect', 'backend-protocol',
  'affinity', 'session-cookie-name', 'session-cookie-path', 'session-cookie-expires', 'session-cookie-max-age',
  'canary', 'canary-weight', 'canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie',
  'whitelist-source-range', 'proxy-body-size', 'proxy-connect-timeout', 'proxy-read-timeout', 'proxy-send-timeout',
] as const;
export type Annotation = (typeof ANNOTATIONS)[number];

/** raw-configuration annotations (CVE-2021-25742, CVE-2023-5043): must be refused or ignored */
export const SNIPPETS = ['configuration-snippet', 'server-snippet', 'auth-snippet'] as const;
export type Snippet = (typeof SNIPPETS)[number];

export const ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';

export const PATH_TYPES = ['Prefix', 'Exact', 'ImplementationSpecific'] as const;

export const WHERE = [
  'rule.host',
  ...PATH_TYPES.map((t) => `path.${t}` as const),
  'backend.service.name',
  'backend.service.port.name',
  'tls.secretName',
  'tls.hosts',
  'ingressClassName',
  ...ANNOTATIONS.map((a) => `annotation:${a}` as const),
  ...SNIPPETS.map((s) => `snippet:${s}` as const),
  'metadata.namespace',
  'metadata.name',
  'metadata.uid',
  'metadata.label',
  'secret:tls.crt',
  'secret:tls.key',
] as const;
export type Where = (typeof WHERE)[number];

/** What a well-behaved user would write there. Paths are not `/`: ingress-nginx renders `/` differently. */
export const BENIGN: Record<Where, string> = {
  'rule.host': 'hello.example.com',
  'path.Prefix': '/benign',
  'path.Exact': '/benign',
  'path.ImplementationSpecific': '/benign',
  'backend.service.name': 'web',
  'backend.service.port.name': 'http',
  'tls.secretName': 'hello-tls',
  'tls.hosts': 'hello.example.com',
  'ingressClassName': 'nginx',
  'annotation:rewrite-target': '/benign',
  'annotation:use-regex': 'true',
  'annotation:ssl-redirect': 'false',
  'annotation:force-ssl-redirect': 'true',
  'annotation:backend-protocol': 'HTTPS',
  'annotation:affinity': 'cookie',
  'annotation:session-cookie-name': 'route',
  'annotation:session-cookie-path': '/benign',
  'annotation:session-cookie-expires': '3600',
  'annotation:session-cookie-max-age': '3600',
  'annotation:canary': 'true',
  'annotation:canary-weight': '50',
  'annotation:canary-by-header': 'X-Canary',
  'annotation:canary-by-header-value': 'yes',
  'annotation:canary-by-header-pattern': '^yes$',
  'annotation:canary-by-cookie': 'canary',
  'annotation:whitelist-source-range': '10.0.0.0/8',
  'annotation:proxy-body-size': '8m',
  'annotation:proxy-connect-timeout': '5',
  'annotation:proxy-read-timeout': '60',
  'annotation:proxy-send-timeout': '60',
  // a snippet a controller honouring snippets would render as one header: then the hostile one
  // (which adds other directives) fails the shape comparison, as it should
  'snippet:configuration-snippet': 'add_header X-Benign "yes";',
  'snippet:server-snippet': 'add_header X-Benign "yes";',
  'snippet:auth-snippet': 'add_header X-Benign "yes";',
  'metadata.namespace': 'sec',
  'metadata.name': 'hello',
  'metadata.uid': '0b6a2b6e-4a55-4c1e-9f4e-2f1f3c1b7a10',
  'metadata.label': 'web',
  'secret:tls.crt': HELLO_CERT,
  'secret:tls.key': HELLO_KEY,
};

/** file-name-safe form of a `where`, used in entry ids */
export const whereSlug = (w: Where): string => w.replace(/:/g, '.');
