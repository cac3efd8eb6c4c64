// The rendered nginx.conf: a golden file for the representative model (regenerate with
// UPDATE_GOLDEN=1 and read the diff), the location forms, server names, the checksum, what is
// refused, and that real nginx accepts the result (`nginx -t`).

import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BACKEND, type Location } from '../src/model.js';
import { renderEnvFor } from '../src/render/env.js';
import { locationMatchers } from '../src/render/location-forms.js';
import { configChecksum, renderNginxConf } from '../src/render/nginx-conf.js';
import { NginxValueError } from '../src/render/quote.js';
import { serverNameArg } from '../src/render/server-name.js';
import { writeCertificates } from '../src/nginx/certificate-files.js';
import { testConfig } from '../src/nginx/config-file.js';
import { ensureDefaultCertificate } from '../src/nginx/default-certificate.js';
import { checkNginx } from '../src/nginx/preflight.js';
import { prepareStateDir } from '../src/nginx/state-dir.js';
import { selfSignedCertificate } from './nginx-harness.js';
import { backend, GOLDEN_CERT, loc, model, representativeModel } from './render-fixtures.js';

/** fixed paths, so the golden file does not depend on the checkout or a temp dir */
const goldenEnv = renderEnvFor('/var/lib/svclab-ingress', { paths: { luaDir: '/usr/share/svclab/ingress/lua' } });

function golden(name: string, text: string): void {
  const path = fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, text);
  expect(text).toBe(readFileSync(path, 'utf8'));
}

describe('renderNginxConf', () => {
  it('matches the golden nginx.conf of the representative model', () => {
    golden('representative.nginx.conf', renderNginxConf(representativeModel(), goldenEnv));
  });

  it('tutorial 003: hello.nginx.com → nginx-svc, as ingress-nginx writes it', () => {
    const conf = renderNginxConf(representativeModel(), goldenEnv);
    const server = conf.slice(conf.indexOf('## start server "hello.nginx.com"'), conf.indexOf('## end server "hello.nginx.com"'));
    expect(server).toContain('server_name "hello.nginx.com";');
    expect(server).toContain('location "/" {');
    expect(server).toContain('set $proxy_upstream_name "default-nginx-svc-80";');
    expect(server).toContain('set $service_name   "nginx-svc";');
    expect(server).toContain('proxy_pass http://upstream_balancer;');
    // endpoints never appear in nginx.conf
    expect(conf).not.toContain('10.244.1.16');
  });

  it('has the catch-all as default_server on http and https, and upstream_balancer with Lua', () => {
    const conf = renderNginxConf(representativeModel(), goldenEnv);
    expect(conf).toMatch(/server_name "_";\n\s+listen \*:80 default_server reuseport;\n\s+listen \*:443 ssl http2 default_server reuseport;/);
    expect(conf).toMatch(/upstream upstream_balancer \{[^}]*server 0\.0\.0\.1;[^}]*balancer_by_lua_block/);
    expect(conf).toContain('load_module "/usr/lib/nginx/modules/ngx_http_lua_module.so";');
    expect(conf).toContain('listen 127.0.0.1:10246;');
    expect(conf).toContain('listen 127.0.0.1:8181 default_server;');
  });

  it('writes a checksum that configChecksum reads back, stable for equal models', () => {
    const a = renderNginxConf(representativeModel(), goldenEnv);
    expect(renderNginxConf(representativeModel(), goldenEnv)).toBe(a);
    const sum = configChecksum(a);
    expect(sum).toMatch(/^[0-9a-f]{64}$/);
    expect(a).toContain(`add_header X-Config-Checksum "${sum}" always;`);
    const m = representativeModel();
    m.servers[0]!.locations[0]!.config.proxyReadTimeout = 61;
    expect(configChecksum(renderNginxConf(m, goldenEnv))).not.toBe(sum);
  });

  it('does not change when only endpoints change (those go to Lua)', () => {
    const a = representativeModel();
    const b = representativeModel();
    b.backends.find((x) => x.name === 'default-nginx-svc-80')!.endpoints = [{ address: '10.9.9.9', port: 8080 }];
    expect(renderNginxConf(b, goldenEnv)).toBe(renderNginxConf(a, goldenEnv));
  });

  it('uses the certificate file of the Secret, and the fake certificate otherwise', () => {
    const conf = renderNginxConf(representativeModel(), goldenEnv);
    expect(conf).toContain(`ssl_certificate     "/var/lib/svclab-ingress/certs/${GOLDEN_CERT.id}.pem";`);
    expect(conf).toContain('ssl_certificate     "/var/lib/svclab-ingress/certs/default-fake-certificate.pem";');
  });

  it('gives a server without a / location the default backend at /', () => {
    const m = model([{ hostname: 'only.example.com', locations: [loc('/api', 'default-api-80')] }], [backend('default-api-80')]);
    const conf = renderNginxConf(m, goldenEnv);
    const server = conf.slice(conf.indexOf('## start server "only.example.com"'), conf.indexOf('## end server "only.example.com"'));
    expect(server).toContain(`location "/" {`);
    expect(server).toContain(`set $proxy_upstream_name "${DEFAULT_BACKEND}";`);
  });

  it('skips a second location with the same nginx matcher instead of failing nginx -t', () => {
    const m = model(
      [{ hostname: 'dup.example.com', locations: [loc('/a', 'default-one-80'), loc('/a/', 'default-two-80'), loc('/', 'default-one-80')] }],
      [backend('default-one-80'), backend('default-two-80')],
    );
    const conf = renderNginxConf(m, goldenEnv);
    expect(conf.match(/location = "\/a" \{/g)).toHaveLength(1);
    expect(conf.match(/location "\/a\/" \{/g)).toHaveLength(1);
    expect(conf).toContain('# location "/a/" already defined above: skipped');
    expect(conf).toContain('# location = "/a" already defined above: skipped');
  });

  it('writes a model value with $ so nginx cannot expand it', () => {
    const m = model([{ hostname: 'd.example.com', locations: [loc('/price$', 'default-shop-80'), loc('/', 'default-shop-80')] }], [backend('default-shop-80')]);
    const conf = renderNginxConf(m, goldenEnv);
    expect(conf).toContain('location = "/price$" {'); // literal context: $ is a character
    expect(conf).toContain('set $location_path  "/price${literal_dollar}";'); // script context
  });

  it('refuses a value with a newline, naming it (no config is produced)', () => {
    const m = model([{ hostname: 'x.example.com', locations: [loc('/a\n}\nload_module /tmp/evil.so;', 'default-x-80')] }], [backend('default-x-80')]);
    expect(() => renderNginxConf(m, goldenEnv)).toThrow(NginxValueError);
    expect(() => renderNginxConf(m, goldenEnv)).toThrow(/path .*control character/);
  });

  it('refuses a hostname that is not a DNS name, a bad CIDR, a bad size, a bad timeout', () => {
    const bad = [
      model([{ hostname: 'a";b', locations: [] }], []),
      model([{ hostname: 'w.example.com', locations: [loc('/', 'default-w-80', { config: { allowSourceRanges: ['10.0.0.0/8; allow all'] } })] }], [backend('default-w-80')]),
      model([{ hostname: 'w.example.com', locations: [loc('/', 'default-w-80', { config: { proxyBodySize: '1m;' } })] }], [backend('default-w-80')]),
      model([{ hostname: 'w.example.com', locations: [loc('/', 'default-w-80', { config: { proxyReadTimeout: -1 } })] }], [backend('default-w-80')]),
    ];
    for (const m of bad) expect(() => renderNginxConf(m, goldenEnv)).toThrow(NginxValueError);
  });

  it('refuses a certificate id the model does not carry', () => {
    const m = model([{ hostname: 't.example.com', tls: { certificate: 'nosuchid' }, locations: [] }], []);
    expect(() => renderNginxConf(m, goldenEnv)).toThrow(/not in the model's certificates/);
  });
});

describe('location forms (location-forms.ts, the builder\'s contract)', () => {
  const alone = (l: Location) => locationMatchers(l, { hostname: 'x', locations: [l] });
  it('Exact → = "<p>"', () => {
    expect(alone(loc('/coffee/menu', 'b', { pathType: 'Exact' }))).toEqual(['= "/coffee/menu"']);
  });
  it('Prefix without trailing slash → "<p>/" plus exact (element-wise)', () => {
    expect(alone(loc('/coffee', 'b'))).toEqual(['"/coffee/"', '= "/coffee"']);
  });
  it('Prefix with trailing slash matches the path without it too (the Ingress spec), and /', () => {
    expect(alone(loc('/tea/', 'b'))).toEqual(['"/tea/"', '= "/tea"']);
    expect(alone(loc('/', 'b'))).toEqual(['"/"']);
  });
  it('a Prefix leaves its exact block to an Exact location of the same path', () => {
    const exact = loc('/coffee', 'e', { pathType: 'Exact' });
    const prefix = loc('/coffee', 'p');
    expect(locationMatchers(prefix, { hostname: 'x', locations: [exact, prefix] })).toEqual(['"/coffee/"']);
  });
  it('regex → ~* "^<p>"', () => {
    expect(alone(loc('/api(/|$)(.*)', 'b', { regex: true }))).toEqual(['~* "^/api(/|$)(.*)"']);
  });
  it('ImplementationSpecific → as Prefix (ingress-nginx makes it Prefix)', () => {
    expect(alone(loc('/x', 'b', { pathType: 'ImplementationSpecific' }))).toEqual(['"/x/"', '= "/x"']);
  });
});

describe('server names', () => {
  it('a wildcard matches exactly one label (regex, as ingress-nginx)', () => {
    expect(serverNameArg('*.wild.example.com')).toBe('"~^(?<subdomain>[\\\\w-]+)\\\\.wild\\\\.example\\\\.com$"');
    expect(serverNameArg('hello.nginx.com')).toBe('"hello.nginx.com"');
    expect(serverNameArg('_')).toBe('"_"');
    expect(() => serverNameArg('Upper.example.com')).toThrow(NginxValueError);
  });
});

describe('real nginx accepts the rendered configuration', () => {
  let dir: string;
  beforeAll(async () => {
    await checkNginx('nginx', '/usr/lib/nginx/modules');
    dir = await mkdtemp(join(tmpdir(), 'svclab-render-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('nginx -t passes for the representative model (with a real certificate)', async () => {
    const env = renderEnvFor(dir);
    const cert = await selfSignedCertificate('secure.example.com');
    const m = representativeModel();
    m.certificates = [cert];
    m.servers.find((s) => s.hostname === 'secure.example.com')!.tls = { certificate: cert.id };
    await prepareStateDir(env);
    await ensureDefaultCertificate(env.paths.defaultCertificate);
    await writeCertificates(env, m.certificates);
    const file = join(dir, 'nginx.conf');
    writeFileSync(file, renderNginxConf(m, env));
    expect(await testConfig('nginx', dir, file)).toBeUndefined();
  });
});
