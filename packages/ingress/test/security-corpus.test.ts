// The hostile-input corpus itself: big enough, ids unique and stable-looking, every place and
// every dangerous token class represented, and every entry turns into objects that carry the
// value exactly where it says (so the end-to-end test really tests that place).
import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS, BENIGN, HOSTILE_INPUTS, NAMESPACE, SNIPPETS, TOKEN_CLASSES, WHERE,
  entryById, ingressFor, manifestsFor, twinsFor, type KubeObject,
} from './security/hostile-inputs.js';
import { emptySceneFor, isSecret } from './security/manifests.js';

describe('hostile-input corpus', () => {
  it('has at least 220 entries with unique, stable ids', () => {
    expect(HOSTILE_INPUTS.length).toBeGreaterThanOrEqual(220);
    const ids = HOSTILE_INPUTS.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of HOSTILE_INPUTS) {
      expect(e.id).toMatch(/^[a-zA-Z.-]+\/[a-z0-9-]+$/);
      expect(e.id.startsWith(`${e.where.replace(/:/g, '.')}/`), e.id).toBe(true);
      expect(e.note.length, e.id).toBeGreaterThan(5);
    }
    // ids are derived from names, never from positions: these stay put as the corpus grows
    expect(entryById('metadata.uid/cve-2025-1098').value).toContain('load_module /tmp/x.so;');
    expect(entryById('path.Prefix/cve-2026-24512').where).toBe('path.Prefix');
  });

  it('covers every place a value can be injected, each with structural breakouts', () => {
    expect(WHERE).toEqual(expect.arrayContaining([
      'rule.host', 'path.Prefix', 'path.Exact', 'path.ImplementationSpecific', 'backend.service.name', 'backend.service.port.name',
      'tls.secretName', 'tls.hosts', 'ingressClassName', 'metadata.namespace', 'metadata.name', 'metadata.uid', 'metadata.label',
      'secret:tls.crt', 'secret:tls.key',
      ...ANNOTATIONS.map((a) => `annotation:${a}`), ...SNIPPETS.map((s) => `snippet:${s}`),
    ]));
    expect(ANNOTATIONS).toHaveLength(21);
    for (const w of WHERE) {
      const values = HOSTILE_INPUTS.filter((e) => e.where === w).map((e) => e.value);
      expect(values.length, w).toBeGreaterThanOrEqual(3);
      expect(values.some((v) => /[;{}\n]/.test(v)), `${w} has a directive breakout`).toBe(true);
    }
  });

  it('represents every dangerous token class', () => {
    const counts = Object.fromEntries(Object.entries(TOKEN_CLASSES).map(([k, test]) => [k, HOSTILE_INPUTS.filter((e) => test(e.value)).length]));
    expect(Object.keys(counts)).toEqual(expect.arrayContaining([
      'semicolon', 'open-brace', 'close-brace', 'double-quote', 'single-quote', 'backslash', 'newline', 'carriage-return', 'nul',
      'dollar', 'dollar-brace', 'hash', 'backtick', 'load_module', 'ssl_engine', 'content_by_lua_block', 'access_by_lua',
      'js_content', 'js_import', 'include-passwd', 'alias-serviceaccount', 'root-slash', 'proxy_pass-evil',
      'unicode-lookalike', 'very-long', 'percent-encoded', 'regex-meta',
    ]));
    for (const [k, n] of Object.entries(counts)) expect(n, k).toBeGreaterThan(0);
  });

  it('is not benign anywhere: no entry equals the benign value of its place', () => {
    for (const e of HOSTILE_INPUTS) expect(e.value, e.id).not.toBe(BENIGN[e.where]);
  });
});

describe('entries as objects', () => {
  const CERT_AS_KEY = 'secret.tls.key/cert-as-key';
  /** every string anywhere in the objects (keys included), to find where a value landed */
  const strings = (x: unknown, out: string[] = []): string[] => {
    if (typeof x === 'string') out.push(x);
    else if (Array.isArray(x)) x.forEach((v) => strings(v, out));
    else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) { out.push(k); strings(v, out); }
    return out;
  };
  const decoded = (objects: KubeObject[]) => objects.flatMap((o) =>
    isSecret(o) ? [...strings(o.metadata), ...Object.values(o.data ?? {}).map((b) => Buffer.from(b, 'base64').toString('utf8'))] : strings(o));

  it('builds the base scene: namespace sec, hello.example.com, / Prefix → web:80', () => {
    const ing = ingressFor(entryById('annotation.proxy-body-size/semicolon-load-module'));
    expect(ing.metadata).toMatchObject({ namespace: NAMESPACE, name: 'hello' });
    expect(ing.spec).toMatchObject({
      ingressClassName: 'nginx',
      rules: [{ host: 'hello.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
    });
    expect(ing.metadata!.annotations).toEqual({ 'nginx.ingress.kubernetes.io/proxy-body-size': '8m;load_module /tmp/x.so;' });
  });

  it('places every value where it says, and nowhere else', () => {
    for (const e of HOSTILE_INPUTS) {
      const found = decoded(manifestsFor(e)).filter((s) => s === e.value).length;
      // names are in the Ingress and in the object they name
      const named = ['backend.service.name', 'backend.service.port.name', 'tls.secretName', 'ingressClassName', 'metadata.namespace'];
      // (cert-as-key: the certificate is in tls.crt too, that is the point)
      expect(found, e.id).toBe(named.includes(e.where) || e.id === CERT_AS_KEY ? 2 : 1);
    }
    const at = (id: string) => ingressFor(entryById(id));
    expect(at('rule.host/semicolon-load-module').spec!.rules![0]!.host).toBe('hello.example.com;load_module /tmp/x.so;');
    expect(at('path.Exact/nul-truncation').spec!.rules![0]!.http!.paths[0]).toMatchObject({ pathType: 'Exact', path: '/benign\u0000;load_module /tmp/x.so;' });
    expect(at('backend.service.port.name/lua-block').spec!.rules![0]!.http!.paths[0]!.backend.service!.port).toEqual({ name: 'http";content_by_lua_block {os.execute("id")} #' });
    expect(at('metadata.uid/cve-2025-1098').metadata!.uid).toMatch(/^InjectTest#;\n/);
    expect(at('metadata.label/dquote-breakout').metadata!.labels).toEqual({ app: 'web"; ssl_engine /tmp/x.so; #' });
    expect(at('snippet.server-snippet/root-slash').metadata!.annotations).toEqual({ 'nginx.ingress.kubernetes.io/server-snippet': 'root /;' });
    expect(at('ingressClassName/trailing-backslash').spec!.ingressClassName).toBe('nginx\\');
    expect(at('tls.hosts/newline-braces').spec!.tls).toEqual([{ hosts: ['hello.example.com#;\n\n}\n}\n}\nload_module /tmp/x.so;\n'], secretName: 'hello-tls' }]);
  });

  it('gives session-cookie-* their affinity, and canary-* a main Ingress to shadow', () => {
    const cookie = manifestsFor(entryById('annotation.session-cookie-path/newline-braces'));
    expect(cookie.find((o) => o.kind === 'Ingress')!.metadata!.annotations!['nginx.ingress.kubernetes.io/affinity']).toBe('cookie');
    const canary = manifestsFor(entryById('annotation.canary-weight/fullwidth'));
    expect(canary.filter((o) => o.kind === 'Ingress').map((o) => [o.metadata!.name, o.metadata!.annotations])).toEqual([
      ['hello', undefined],
      ['hello-canary', { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '50；load_module /tmp/x.so；＂｛' }],
    ]);
  });

  it('makes twins without the hostile value: benign first, then the ways to drop it', () => {
    for (const e of HOSTILE_INPUTS) {
      const twins = twinsFor(e);
      expect(twins[0]!.label, e.id).toBe('benign');
      expect(twins.at(-1)!.label).toBe('ignored');
      if (e.id !== CERT_AS_KEY) for (const t of twins) expect(decoded(t.objects), `${e.id} ${t.label}`).not.toContain(e.value);
      expect(emptySceneFor(e).some((o) => o.kind === 'Ingress')).toBe(false);
    }
    expect(twinsFor(entryById('annotation.use-regex/fullwidth')).map((t) => t.label)).toEqual(['benign', 'absent', 'ignored']);
    expect(twinsFor(entryById('secret.tls.crt/not-pem')).map((t) => t.label)).toEqual(['benign', 'secret-missing', 'no-tls', 'ignored']);
    expect(twinsFor(entryById('rule.host/long')).map((t) => t.label)).toEqual(['benign', 'ignored']);
  });
});
