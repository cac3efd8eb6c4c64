// IngressNightmare-style values: each refuses its own Ingress, with a one-line reason naming the
// field, and nothing of it reaches the model; the other Ingresses are served as before.
import type { V1Ingress } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { A, build, ingress, routes, server } from './build-fixtures.js';

const HOST = 'evil.example.com';
const evil = (o: { path?: string; pathType?: string; host?: string; annotations?: Record<string, string>; tls?: Array<{ hosts?: string[]; secretName?: string }>; svc?: string; port?: number | string }): V1Ingress =>
  ingress('evil', {
    annotations: o.annotations,
    rules: [{ host: o.host ?? HOST, paths: [{ path: o.path ?? '/', pathType: o.pathType ?? 'Prefix', service: o.svc ?? 'evil-svc', port: o.port ?? 80 }] }],
    tls: o.tls,
  });
const path = (p: string, pathType = 'Prefix') => evil({ path: p, pathType });
const ann = (name: string, value: string, more: Record<string, string> = {}) => evil({ annotations: { [`${A}${name}`]: value, ...more } });

const LUA = 'content_by_lua_block { os.execute("id") }';
const NIGHTMARE = 'x;\n\n}\n}\n}\nload_module /proc/1/fd/7;';

// [what, the Ingress, text the reason must contain]
const cases: Array<[string, V1Ingress, string]> = [
  // Exact/Prefix paths
  ['path with ";"', path('/a;b'), 'paths[0].path'],
  ['path with "{"', path('/a{b'), 'paths[0].path'],
  ['path with "}"', path('/a}b', 'Exact'), 'paths[0].path'],
  ['path with a double quote', path('/a"b'), 'paths[0].path'],
  ['path with a single quote', path("/a'b"), 'paths[0].path'],
  ['path with a newline', path('/a\nb'), 'a line break'],
  ['path with "$"', path('/a$host'), 'paths[0].path'],
  ['path with "#"', path('/a#b'), 'paths[0].path'],
  ['path with a space', path('/a b'), 'paths[0].path'],
  ['path to the service account token', path('/x/var/run/secrets/kubernetes.io/serviceaccount/token'), 'a path to mounted Secrets'],
  ['path to nginx.conf', path('/etc/nginx/nginx.conf', 'Exact'), 'a path under /etc'],
  ['path closing the location block', path('/x { } location /y'), 'paths[0].path'],
  // ImplementationSpecific / regex paths
  ['regex path with a Lua block', path(`/api;}\nlocation /x {${LUA}`, 'ImplementationSpecific'), '"_by_lua"'],
  ['regex path closing the quote', path('/a" ; load_module /tmp/x.so; #', 'ImplementationSpecific'), '"load_module"'],
  ['regex path with js_content', path('/(js_content|x)', 'ImplementationSpecific'), '"js_"'],
  ['regex path with a PCRE callout', path('/(?C1)a', 'ImplementationSpecific'), 'only "(?:" groups'],
  ['regex path with an inline variable', path('/a$host/b', 'ImplementationSpecific'), 'end anchor'],
  ['regex path with ${var}', path('/a${uri}', 'ImplementationSpecific'), 'end anchor'],
  ['regex path ending in a backslash', path('/foo\\', 'ImplementationSpecific'), 'paths[0].path'],
  ['regex path with a stray brace', path('/a{1,2}{', 'ImplementationSpecific'), 'is not a repetition'],
  ['regex path with an open class', path('/[a-z', 'ImplementationSpecific'), 'unterminated'],
  ['regex path with \\x escapes', path('/a\\x22b', 'ImplementationSpecific'), 'paths[0].path'],
  ['regex path with semicolon in a class', path('/[;]', 'ImplementationSpecific'), 'character class'],
  ['regex path that does not compile', path('/a**', 'ImplementationSpecific'), 'is not a valid regular expression'],
  // hosts and TLS
  ['host with ";"', evil({ host: 'evil.example.com;' }), 'spec.rules[0].host'],
  ['host with a newline and "}"', evil({ host: 'evil.example.com\n}' }), 'spec.rules[0].host'],
  ['host with a server block', evil({ host: 'a.com { return 200; }' }), 'spec.rules[0].host'],
  ['host with a quote', evil({ host: 'evil.example.com"' }), 'spec.rules[0].host'],
  ['two-label wildcard host', evil({ host: '*.*.example.com' }), 'spec.rules[0].host'],
  ['TLS host with ssl_engine', evil({ tls: [{ hosts: ['a.com;ssl_engine x'], secretName: 'tls' }] }), 'spec.tls[0].hosts[0]'],
  ['TLS secretName with load_module', evil({ tls: [{ hosts: [HOST], secretName: 'x;load_module' }] }), '"load_module"'],
  ['TLS secretName with "/../"', evil({ tls: [{ hosts: [HOST], secretName: '../../etc/shadow' }] }), 'spec.tls[0].secretName'],
  // backend references
  ['service name with ";"', evil({ svc: 'svc;rm' }), 'backend.service.name'],
  ['service name with a brace', evil({ svc: 'svc}' }), 'backend.service.name'],
  ['port name with "{"', evil({ port: 'http{' }), 'backend.service.port.name'],
  // annotations that reach nginx.conf
  ['rewrite-target with a variable', ann('rewrite-target', '/$host'), 'rewrite-target'],
  ['rewrite-target with a directive', ann('rewrite-target', '/ ; return 200 "pwned"'), 'rewrite-target'],
  ['rewrite-target closing the block', ann('rewrite-target', '/x}'), 'rewrite-target'],
  ['rewrite-target reaching Secrets', ann('rewrite-target', '/var/run/secrets/kubernetes.io/serviceaccount/token'), 'a path to mounted Secrets'],
  ['proxy-body-size with load_module', ann('proxy-body-size', '1m; load_module /tmp/x.so'), '"load_module"'],
  ['proxy-body-size with a newline', ann('proxy-body-size', '8m\n'), 'a line break'],
  ['proxy-read-timeout with ";"', ann('proxy-read-timeout', '60;'), 'proxy-read-timeout'],
  ['proxy-connect-timeout with "}"', ann('proxy-connect-timeout', '5 }'), 'proxy-connect-timeout'],
  ['whitelist-source-range with a directive', ann('whitelist-source-range', '10.0.0.0/8; allow all'), 'whitelist-source-range'],
  ['allowlist-source-range with a newline', ann('allowlist-source-range', '0.0.0.0/0\ndeny all'), 'a line break'],
  ['session-cookie-name with ";"', ann('affinity', 'cookie', { [`${A}session-cookie-name`]: 'a;b' }), 'session-cookie-name'],
  ['session-cookie-path with a quote', ann('affinity', 'cookie', { [`${A}session-cookie-path`]: '/x" ; root /' }), 'session-cookie-path'],
  ['canary-by-header with a directive', ann('canary', 'true', { [`${A}canary-by-header`]: 'X-Canary; more_set_headers' }), 'canary-by-header'],
  ['canary-by-header-value with a quote', ann('canary', 'true', { [`${A}canary-by-header-value`]: 'always"' }), 'canary-by-header-value'],
  ['canary-by-header-pattern with Lua', ann('canary', 'true', { [`${A}canary-by-header-pattern`]: '^a$"); os.execute("id' }), 'canary-by-header-pattern'],
  ['canary-by-cookie with "$"', ann('canary', 'true', { [`${A}canary-by-cookie`]: 'c$ookie' }), 'canary-by-cookie'],
  ['backend-protocol with proxy_pass', ann('backend-protocol', 'HTTP; proxy_pass http://evil'), 'backend-protocol'],
  ['ssl-redirect with ";"', ann('ssl-redirect', 'true;'), 'ssl-redirect'],
  ['force-ssl-redirect with "}"', ann('force-ssl-redirect', '1 }'), 'force-ssl-redirect'],
  ['affinity-mode with "#"', ann('affinity', 'cookie', { [`${A}affinity-mode`]: 'balanced#' }), 'affinity-mode'],
  ['use-regex with a newline', ann('use-regex', 'true\n'), 'a line break'],
  // snippets and ignored annotations still carrying payloads
  ['configuration-snippet', ann('configuration-snippet', 'more_set_headers "x: y";'), 'snippet annotations are not allowed'],
  ['server-snippet', ann('server-snippet', 'location /x { alias /; }'), 'snippet annotations are not allowed'],
  ['auth-snippet', ann('auth-snippet', LUA), 'snippet annotations are not allowed'],
  ['stream-snippet', ann('stream-snippet', 'server { listen 8000; proxy_pass 127.0.0.1:80; }'), 'snippet annotations are not allowed'],
  ['auth-url injection (CVE-2025-24514)', ann('auth-url', 'http://x/#;\n}\nload_module /tmp/x.so;'), 'auth-url'],
  ['mirror-target injection (CVE-2025-1098)', ann('mirror-target', NIGHTMARE), '"load_module"'],
  ['unknown annotation with a Lua block', ann('whatever', LUA), '"_by_lua"'],
  ['unknown annotation with js_content', ann('custom', 'js_content main.handler'), '"js_"'],
  ['permanent-redirect reaching the token', ann('permanent-redirect', 'file:///var/run/secrets/kubernetes.io/serviceaccount/token'), 'a path to mounted Secrets'],
];

describe('hostile values', () => {
  it('has at least 40 of them', () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases)('refuses a %s, and only that Ingress', (_what, hostile, field) => {
    const good = ingress('good', { rules: [{ host: 'good.example.com', paths: [{ path: '/ok', service: 'ok', port: 80 }] }, { host: HOST, paths: [{ path: '/fine', service: 'ok', port: 80 }] }] });
    const m = build({ ingresses: [hostile, good] });
    expect(m.rejected).toHaveLength(1);
    const [r] = m.rejected;
    expect(r!.ingress).toEqual({ namespace: 'default', name: 'evil' });
    expect(r!.reason).toContain(field);
    expect(r!.reason).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(routes(server(m, 'good.example.com'))).toEqual(['/ok Prefix -> default-ok-80', '/ Prefix -> upstream-default-backend']);
    expect(routes(server(m, HOST))).toEqual(['/fine Prefix -> default-ok-80', '/ Prefix -> upstream-default-backend']);
    expect(JSON.stringify({ servers: m.servers, backends: m.backends, certificates: m.certificates })).not.toContain('evil-svc');
  });

  it('quotes the value with JSON.stringify in the reason', () => {
    const m = build({ ingresses: [path('/a;\n}b')] });
    expect(m.rejected[0]!.reason).toBe('spec.rules[0].http.paths[0].path: "/a;\\n}b" contains a line break or NUL, which is never allowed (config injection)');
  });

  it('refuses a forged namespace or name (e.g. from an AdmissionReview), keeping the raw reference for the log', () => {
    const bad = ingress('x;y', { rules: [{ host: HOST, paths: [{ path: '/', service: 'evil-svc', port: 80 }] }] });
    const badNs = ingress('ok', { ns: 'default\n}', rules: [{ host: HOST, paths: [{ path: '/', service: 'evil-svc', port: 80 }] }] });
    const m = build({ ingresses: [bad, badNs] });
    expect(m.rejected.map((r) => r.reason)).toEqual([
      'metadata.namespace: "default\\n}" contains a line break or NUL, which is never allowed (config injection)',
      'metadata.name: "x;y" is not a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", at most 253)',
    ]);
    expect(JSON.stringify(m.servers)).not.toContain('evil-svc');
  });
});
