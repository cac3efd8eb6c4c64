// Routing through a real nginx: hosts, paths and their precedence, the headers ingress-nginx
// sets, the default backend's 404, 503 for a backend without endpoints, whitelists,
// rewrite-target, an injection attempt in a path, and the status server's endpoints.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BACKEND } from '../src/model.js';
import { checkNginx } from '../src/nginx/preflight.js';
import { statusRequest } from '../src/nginx/status-client.js';
import { get, makeLab, startEchoBackend, type EchoBackend, type Lab, type RequestOpts, waitFor } from './nginx-harness.js';
import { backend, loc, model } from './render-fixtures.js';

const INJECTED_PATH = '/x"; } location /pwn { return 200 "pwned"; } location "/y';

describe('routing through nginx', () => {
  let lab: Lab;
  const be: Record<string, EchoBackend> = {};
  const at = (host: string, path = '/', extra: Partial<RequestOpts> = {}) =>
    get(lab.address, lab.http, { host, path, ...extra });

  beforeAll(async () => {
    await checkNginx('nginx', '/usr/lib/nginx/modules'); // fails (not skips) without libnginx-mod-http-lua
    lab = await makeLab('127.0.0.31');
    for (const [name, addr] of [['nginx-svc', '127.0.0.32'], ['tea', '127.0.0.33'], ['coffee', '127.0.0.34'], ['menu', '127.0.0.35'], ['api', '127.0.0.36']] as const) {
      be[name] = await startEchoBackend(name, addr);
    }
    const ep = (n: string): [string, number][] => [[be[n]!.address, be[n]!.port]];
    await lab.runtime.start(
      model(
        [
          { hostname: '*.wild.example.com', locations: [loc('/', 'default-tea-80')] },
          { hostname: 'admin.example.com', locations: [loc('/', 'default-nginx-svc-80', { config: { allowSourceRanges: ['127.0.0.50/32'] } })] },
          {
            hostname: 'cafe.example.com',
            locations: [
              loc('/coffee/menu', 'default-menu-80', { pathType: 'Exact' }),
              loc('/coffee', 'default-coffee-80'),
              loc('/tea/', 'default-tea-80'),
              loc('/', DEFAULT_BACKEND),
            ],
          },
          { hostname: 'empty.example.com', locations: [loc('/', 'default-empty-80')] },
          { hostname: 'hello.nginx.com', locations: [loc('/', 'default-nginx-svc-80')] },
          { hostname: 'inject.example.com', locations: [loc(INJECTED_PATH, 'default-api-80', { pathType: 'Exact' })] },
          { hostname: 'rewrite.example.com', locations: [loc('/api(/|$)(.*)', 'default-api-80', { regex: true, pathType: 'ImplementationSpecific', config: { rewriteTarget: '/$2' } })] },
          { hostname: 'self.example.com', locations: [loc('/', 'default-self-80')] },
        ],
        [
          backend('default-api-80', ep('api')),
          backend('default-coffee-80', ep('coffee')),
          backend('default-empty-80', []),
          backend('default-menu-80', ep('menu')),
          backend('default-nginx-svc-80', ep('nginx-svc')),
          // an Endpoint pointing at the controller's own status port must never be proxied to
          backend('default-self-80', [['127.0.0.1', lab.env.ports.status]]),
          backend('default-tea-80', ep('tea')),
        ],
      ),
    );
  });

  afterAll(async () => {
    await lab?.cleanup();
    for (const b of Object.values(be)) await b.close();
  });

  it('tutorial 003: Host hello.nginx.com reaches nginx-svc (Host matched case-insensitively)', async () => {
    expect((await at('hello.nginx.com')).json?.backend).toBe('nginx-svc');
    expect((await at('Hello.Nginx.COM', '/index.html')).json?.backend).toBe('nginx-svc');
  });

  it('an unknown host gets the default backend: nginx\'s own 404', async () => {
    const r = await at('nobody.example.org');
    expect(r.status).toBe(404);
    expect(r.body).toContain('<center><h1>404 Not Found</h1></center>');
    expect(r.body).toContain('<center>nginx</center>');
  });

  it('fan-out by path with ingress-nginx precedence', async () => {
    const cases: [string, string | 404][] = [
      ['/coffee/menu', 'menu'], // Exact beats the Prefix
      ['/coffee', 'coffee'],
      ['/coffee/', 'coffee'],
      ['/coffee/beans', 'coffee'],
      ['/coffeeshop', 404], // Prefix is element-wise: /coffee does not match /coffeeshop
      ['/coffee/menu/x', 'coffee'],
      ['/tea/green', 'tea'],
      ['/', 404],
    ];
    for (const [path, want] of cases) {
      const r = await at('cafe.example.com', path);
      if (want === 404) expect([path, r.status]).toEqual([path, 404]);
      else expect([path, r.json?.backend]).toEqual([path, want]);
    }
    // Prefix "/tea/" matches /tea too: the Ingress spec ignores a trailing slash in Prefix paths
    const tea = await at('cafe.example.com', '/tea');
    expect([tea.status, tea.json?.backend]).toEqual([200, 'tea']);
  });

  it('a wildcard host matches exactly one label', async () => {
    expect((await at('a.wild.example.com')).json?.backend).toBe('tea');
    expect((await at('a.b.wild.example.com')).status).toBe(404);
    expect((await at('wild.example.com')).status).toBe(404);
  });

  it('rewrite-target with a regex path rewrites the upstream URI', async () => {
    const r = await at('rewrite.example.com', '/API/users/7?x=1');
    expect(r.json?.backend).toBe('api');
    expect(r.json?.url).toBe('/users/7?x=1');
    expect(r.json?.headers['x-original-uri']).toBe('/API/users/7?x=1');
  });

  it('sets X-Real-IP, X-Forwarded-* as ingress-nginx (use-forwarded-headers off)', async () => {
    const r = await at('hello.nginx.com', '/p?q=1', { localAddress: '127.0.0.77', headers: { 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'req-42' } });
    const h = r.json!.headers;
    expect(h).toMatchObject({
      host: 'hello.nginx.com',
      'x-real-ip': '127.0.0.77',
      'x-forwarded-for': '127.0.0.77', // the client's header is not trusted, not appended
      'x-original-forwarded-for': '203.0.113.9',
      'x-forwarded-host': 'hello.nginx.com',
      'x-forwarded-port': String(lab.http),
      'x-forwarded-proto': 'http',
      'x-forwarded-scheme': 'http',
      'x-scheme': 'http',
      'x-original-uri': '/p?q=1',
      'x-request-id': 'req-42',
    });
    const gen = (await at('hello.nginx.com')).json!.headers['x-request-id'];
    expect(gen).toMatch(/^[0-9a-f]{32}$/);
  });

  it('a backend without endpoints answers 503', async () => {
    const r = await at('empty.example.com');
    expect(r.status).toBe(503);
  });

  it('whitelist-source-range: allowed source passes, others get 403', async () => {
    expect((await at('admin.example.com', '/', { localAddress: '127.0.0.50' })).json?.backend).toBe('nginx-svc');
    expect((await at('admin.example.com', '/', { localAddress: '127.0.0.51' })).status).toBe(403);
  });

  it('a path crafted to inject directives stays one literal location', async () => {
    // nginx -t accepted the config (start succeeded); the "pwn" location does not exist
    const pwn = await at('inject.example.com', '/pwn');
    expect(pwn.status).toBe(404);
    expect(pwn.body).not.toContain('pwned');
    const literal = await at('inject.example.com', encodeURI(INJECTED_PATH).replace(/#/g, '%23'));
    expect(literal.json?.backend).toBe('api');
  });

  it('never proxies to its own status port (an Endpoint at 127.0.0.1:<status>)', async () => {
    const r = await at('self.example.com', '/configuration/backends');
    expect(r.status).toBe(503);
    expect(await waitFor(() => lab.logs.some((l) => l.includes('refusing to proxy to the status port')))).toBe(true);
  });

  describe('status server', () => {
    it('GET /configuration/backends returns what was pushed; a bad push is refused and changes nothing', async () => {
      const before = await statusRequest(lab.runtime.status, 'GET', '/configuration/backends');
      expect(before.status).toBe(200);
      const names = (JSON.parse(before.body) as { name: string }[]).map((b) => b.name);
      expect(names).toContain('default-nginx-svc-80');
      expect(names).toContain(DEFAULT_BACKEND);
      for (const bad of ['not json', '{"a":1}', '[{"name":"x","endpoints":[{"address":"1.2.3.4; rm -rf","port":80}]}]', '[{"name":"x","endpoints":[{"address":"1.2.3.4","port":70000}]}]']) {
        const r = await statusRequest(lab.runtime.status, 'POST', '/configuration/backends', bad);
        expect([bad, r.status]).toEqual([bad, 400]);
      }
      expect((await statusRequest(lab.runtime.status, 'GET', '/configuration/backends')).body).toBe(before.body);
      expect((await at('hello.nginx.com')).json?.backend).toBe('nginx-svc');
    });

    it('/nginx_status (stub_status) and /is-dynamic-lb-initialized answer', async () => {
      expect((await statusRequest(lab.runtime.status, 'GET', '/nginx_status')).body).toMatch(/^Active connections: \d+/);
      expect((await statusRequest(lab.runtime.status, 'GET', '/is-dynamic-lb-initialized')).status).toBe(200);
    });

    it('/metrics-data counts requests by namespace, ingress, host and status', async () => {
      for (let i = 0; i < 3; i++) await at('hello.nginx.com', '/metrics-probe');
      const r = await statusRequest(lab.runtime.status, 'GET', '/metrics-data');
      const data = JSON.parse(r.body) as { requests: { namespace: string; ingress: string; host: string; status: number; count: number }[]; connections: { active: number } };
      const hello = data.requests.find((x) => x.host === 'hello.nginx.com' && x.status === 200);
      expect(hello).toMatchObject({ namespace: 'default', ingress: 'nginx-svc-ingress' });
      expect(hello!.count).toBeGreaterThanOrEqual(3);
      expect(data.requests.find((x) => x.host === 'empty.example.com')?.status).toBe(503);
      // unknown hosts are counted under the catch-all, never under the Host they sent
      expect(data.requests.some((x) => x.host === 'nobody.example.org')).toBe(false);
      expect(data.requests.some((x) => x.host === '_' && x.status === 404)).toBe(true);
      expect(data.connections.active).toBeGreaterThanOrEqual(1);
    });
  });
});
