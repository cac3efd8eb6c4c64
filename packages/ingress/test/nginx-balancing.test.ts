// The Lua balancer through a real nginx: round-robin spread, cookie affinity, canary by header,
// cookie and weight. Distributions are asserted statistically with wide tolerances; nothing here
// depends on timing. Each request is a new connection, so both workers take part.

import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, IngressModel, TrafficShaping } from '../src/model.js';
import { checkNginx } from '../src/nginx/preflight.js';
import { get, makeLab, startEchoBackend, type EchoBackend, type Lab, type RequestOpts } from './nginx-harness.js';
import { backend, loc, model } from './render-fixtures.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('balancing through nginx', () => {
  let lab: Lab;
  const be: Record<string, EchoBackend> = {};
  const ep = (...names: string[]): [string, number][] => names.map((n) => [be[n]!.address, be[n]!.port]);
  const at = (host: string, o: Partial<RequestOpts> = {}) => get(lab.address, lab.http, { host, ...o });

  async function tally(host: string, n: number, o: Partial<RequestOpts> = {}): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      // a reply that no echo backend wrote counts under its status (e.g. "HTTP 503"), so a failure says what came back
      const r = await at(host, o);
      const who = r.json?.backend ?? `HTTP ${r.status}`;
      counts[who] = (counts[who] ?? 0) + 1;
    }
    return counts;
  }

  function canaryPair(name: string, shaping: TrafficShaping): Backend[] {
    return [
      backend(`default-${name}-80`, ep('prod'), { alternativeBackends: [`default-${name}-canary-80`] }),
      backend(`default-${name}-canary-80`, ep('canary'), { noServer: true, trafficShaping: shaping }),
    ];
  }

  function balancingModel(stickyEndpoints: string[]): IngressModel {
    const hosts = ['header', 'value', 'pattern', 'cookie', 'weight'];
    return model(
      [
        { hostname: 'rr.example.com', locations: [loc('/', 'default-rr-80')] },
        { hostname: 'sticky.example.com', locations: [loc('/', 'default-sticky-80')] },
        ...hosts.map((h) => ({ hostname: `${h}.example.com`, locations: [loc('/', `default-${h}-80`)] })),
      ],
      [
        backend('default-rr-80', ep('r1', 'r2', 'r3')),
        backend('default-sticky-80', ep(...stickyEndpoints), {
          sessionAffinity: { name: 'INGRESSCOOKIE', path: '/', expires: 172800, maxAge: 172800, mode: 'balanced' },
        }),
        ...canaryPair('header', { weight: 0, weightTotal: 100, header: 'X-Canary' }),
        ...canaryPair('value', { weight: 0, weightTotal: 100, header: 'X-Canary', headerValue: 'yes-please' }),
        ...canaryPair('pattern', { weight: 0, weightTotal: 100, header: 'X-Canary', headerPattern: '^(alpha|beta)$' }),
        ...canaryPair('cookie', { weight: 0, weightTotal: 100, cookie: 'canary' }),
        ...canaryPair('weight', { weight: 30, weightTotal: 100 }),
      ],
    );
  }

  beforeAll(async () => {
    await checkNginx('nginx', '/usr/lib/nginx/modules'); // fails (not skips) without libnginx-mod-http-lua
    lab = await makeLab('127.0.0.61');
    const names = ['r1', 'r2', 'r3', 's1', 's2', 'prod', 'canary'];
    for (const [i, n] of names.entries()) be[n] = await startEchoBackend(n, `127.0.0.${62 + i}`);
    await lab.runtime.start(balancingModel(['s1', 's2']));
  });

  afterAll(async () => {
    await lab?.cleanup();
    for (const b of Object.values(be)) await b.close();
  });

  it('round robin spreads requests over every endpoint', async () => {
    const counts = await tally('rr.example.com', 300);
    expect(Object.keys(counts).sort()).toEqual(['r1', 'r2', 'r3']);
    for (const n of ['r1', 'r2', 'r3']) {
      expect(counts[n]).toBeGreaterThan(60); // 100 expected; round robin per worker is near-exact
      expect(counts[n]).toBeLessThan(140);
    }
  });

  describe('cookie affinity', () => {
    it('sets the cookie as ingress-nginx does (name, path, expires, max-age, HttpOnly)', async () => {
      const r = await at('sticky.example.com');
      const cookie = String(r.headers['set-cookie']);
      expect(cookie).toMatch(/^INGRESSCOOKIE=[0-9a-f]{32}; Path=\/; Expires=[A-Z][a-z]{2}, \d\d-[A-Z][a-z]{2}-\d{2,4} \d\d:\d\d:\d\d GMT; Max-Age=172800; HttpOnly$/);
      // the value names the endpoint that answered
      const who = r.json!.backend;
      expect(cookie).toContain(`INGRESSCOOKIE=${md5(`${be[who]!.address}:${be[who]!.port}`)}`);
    });

    it('keeps every request with the cookie on the same endpoint', async () => {
      for (const target of ['s1', 's2']) {
        const cookie = `INGRESSCOOKIE=${md5(`${be[target]!.address}:${be[target]!.port}`)}`;
        const counts = await tally('sticky.example.com', 30, { headers: { cookie } });
        expect(counts).toEqual({ [target]: 30 });
      }
    });

    it('without a cookie, requests are still spread (and each gets a cookie)', async () => {
      const counts = await tally('sticky.example.com', 60);
      expect(Object.keys(counts).sort()).toEqual(['s1', 's2']);
    });

    it('a cookie for an endpoint that is gone picks a live one and replaces the cookie', async () => {
      const gone = `INGRESSCOOKIE=${md5(`${be.s1!.address}:${be.s1!.port}`)}`;
      const r1 = await lab.runtime.apply(balancingModel(['s2']));
      expect(r1).toEqual({ reloaded: false, pushedBackends: true });
      const r = await at('sticky.example.com', { headers: { cookie: gone } });
      expect(r.json?.backend).toBe('s2');
      expect(String(r.headers['set-cookie'])).toContain(`INGRESSCOOKIE=${md5(`${be.s2!.address}:${be.s2!.port}`)}`);
      await lab.runtime.apply(balancingModel(['s1', 's2']));
    });
  });

  describe('canary', () => {
    it('by header: "always" → canary, "never" → primary, anything else falls through to the weight', async () => {
      expect(await tally('header.example.com', 20, { headers: { 'x-canary': 'always' } })).toEqual({ canary: 20 });
      expect(await tally('header.example.com', 20, { headers: { 'x-canary': 'never' } })).toEqual({ prod: 20 });
      expect(await tally('header.example.com', 20, { headers: { 'x-canary': 'maybe' } })).toEqual({ prod: 20 });
      expect(await tally('header.example.com', 20)).toEqual({ prod: 20 });
    });

    it('by exact header value (then "always" means nothing special)', async () => {
      expect(await tally('value.example.com', 20, { headers: { 'x-canary': 'yes-please' } })).toEqual({ canary: 20 });
      expect(await tally('value.example.com', 20, { headers: { 'x-canary': 'always' } })).toEqual({ prod: 20 });
    });

    it('by header pattern', async () => {
      expect(await tally('pattern.example.com', 10, { headers: { 'x-canary': 'beta' } })).toEqual({ canary: 10 });
      expect(await tally('pattern.example.com', 10, { headers: { 'x-canary': 'gamma' } })).toEqual({ prod: 10 });
    });

    it('by cookie: "always" → canary, "never" → primary', async () => {
      expect(await tally('cookie.example.com', 20, { headers: { cookie: 'canary=always' } })).toEqual({ canary: 20 });
      expect(await tally('cookie.example.com', 20, { headers: { cookie: 'canary=never' } })).toEqual({ prod: 20 });
    });

    it('by weight: about 30 of 100 requests go to the canary', async () => {
      const n = 600;
      const counts = await tally('weight.example.com', n);
      const share = (counts.canary ?? 0) / n;
      // binomial(600, 0.3): sd ≈ 0.019; ±0.1 is over 5 sd
      expect(share).toBeGreaterThan(0.2);
      expect(share).toBeLessThan(0.4);
      expect((counts.canary ?? 0) + (counts.prod ?? 0)).toBe(n);
    });
  });
});
