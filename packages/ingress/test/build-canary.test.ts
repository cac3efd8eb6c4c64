// Canary Ingresses: an alternative backend of the main one for the same host + path.
import { describe, expect, it } from 'vitest';
import { CATCH_ALL } from '../src/model.js';
import { A, backend, build, ingress, routes, server, service, simple, slice } from './build-fixtures.js';

const HOST = 'canary.example.com';
const main = simple('main', HOST, '/', 'prod', 80, { created: '2024-01-01T00:00:00Z' });
const canary = (annotations: Record<string, string>, name = 'canary', svc = 'next', path = '/') =>
  simple(name, HOST, path, svc, 80, { created: '2024-02-01T00:00:00Z', annotations: { [`${A}canary`]: 'true', ...annotations } });
const cluster = {
  services: [service('prod', [{ port: 80 }]), service('next', [{ port: 80 }])],
  endpointSlices: [slice('prod', [{ port: 80 }], [{ ip: '10.244.1.1' }]), slice('next', [{ port: 80 }], [{ ip: '10.244.2.2' }])],
};

describe('canary', () => {
  it('adds a weighted canary as an alternative backend, without a location of its own', () => {
    const m = build({ ingresses: [canary({ [`${A}canary-weight`]: '20' }), main], ...cluster });
    expect(routes(server(m, HOST))).toEqual(['/ Prefix -> default-prod-80']);
    expect(backend(m, 'default-prod-80').alternativeBackends).toEqual(['default-next-80']);
    expect(backend(m, 'default-next-80')).toEqual({
      name: 'default-next-80', service: { namespace: 'default', name: 'next' }, port: 80, endpoints: [{ address: '10.244.2.2', port: 80 }],
      alternativeBackends: [], noServer: true, trafficShaping: { weight: 20, weightTotal: 100 },
    });
  });

  it('carries header, header value, header pattern, cookie and weight-total', () => {
    const m = build({
      ingresses: [main, canary({
        [`${A}canary-by-header`]: 'X-Canary', [`${A}canary-by-header-value`]: 'always-v2', [`${A}canary-by-header-pattern`]: '^v[0-9]+$',
        [`${A}canary-by-cookie`]: 'canary_user', [`${A}canary-weight`]: '5', [`${A}canary-weight-total`]: '1000',
      })],
      ...cluster,
    });
    expect(backend(m, 'default-next-80').trafficShaping).toEqual({
      weight: 5, weightTotal: 1000, header: 'X-Canary', headerValue: 'always-v2', headerPattern: '^v[0-9]+$', cookie: 'canary_user',
    });
  });

  it('drops a canary with no main backend for its host + path, without a rejection (upstream logs and ignores it)', () => {
    const m = build({ ingresses: [main, canary({ [`${A}canary-weight`]: '50' }, 'lost', 'next', '/elsewhere')], ...cluster });
    expect(m.backends.map((b) => b.name)).not.toContain('default-next-80');
    expect(backend(m, 'default-prod-80').alternativeBackends).toEqual([]);
    expect(m.rejected).toEqual([]);
    expect(build({ ingresses: [canary({ [`${A}canary-weight`]: '50' })], ...cluster }).backends.map((b) => b.name)).toEqual(['upstream-default-backend']);
  });

  it('does not turn a main Ingress\'s backend into a canary', () => {
    const m = build({ ingresses: [main, canary({ [`${A}canary-weight`]: '50' }, 'same', 'prod')], ...cluster });
    expect(backend(m, 'default-prod-80')).toMatchObject({ noServer: false, alternativeBackends: [] });
  });

  it('gives the canary the main backend\'s cookie affinity, unless affinity-canary-behavior is legacy', () => {
    const sticky = { ...main, metadata: { ...main.metadata, annotations: { [`${A}affinity`]: 'cookie', [`${A}session-cookie-name`]: 'route' } } };
    const m = build({ ingresses: [sticky, canary({ [`${A}canary-weight`]: '10' })], ...cluster });
    expect(backend(m, 'default-next-80').sessionAffinity).toEqual({ name: 'route', mode: 'balanced' });
    const legacy = build({ ingresses: [sticky, canary({ [`${A}canary-weight`]: '10', [`${A}affinity-canary-behavior`]: 'legacy' })], ...cluster });
    expect(backend(legacy, 'default-next-80').sessionAffinity).toBeUndefined();
  });

  it('merges a canary spec.defaultBackend into the catch-all server\'s real backends', () => {
    const catchAllMain = ingress('main', { rules: [{ paths: [{ path: '/shop', service: 'prod', port: 80 }] }] });
    const catchAllCanary = ingress('canary', { annotations: { [`${A}canary`]: 'true', [`${A}canary-weight`]: '30' }, defaultBackend: { service: 'next', port: 80 } });
    const m = build({ ingresses: [catchAllMain, catchAllCanary], ...cluster });
    expect(backend(m, 'default-prod-80').alternativeBackends).toEqual(['default-next-80']);
    expect(routes(server(m, CATCH_ALL))).toEqual(['/shop Prefix -> default-prod-80', '/ Prefix -> upstream-default-backend']);
  });

  it('ignores canary-* settings when canary is not "true" (upstream), so the Ingress is an ordinary one', () => {
    const notCanary = simple('plain', 'other.example.com', '/', 'next', 80, { annotations: { [`${A}canary-weight`]: '20' } });
    const m = build({ ingresses: [main, notCanary], ...cluster });
    expect(backend(m, 'default-next-80')).toMatchObject({ noServer: false });
    expect(routes(server(m, 'other.example.com'))).toEqual(['/ Prefix -> default-next-80']);
  });

  it('refuses a weight above the total, a zero total, and bad header or cookie names', () => {
    const reasons = (a: Record<string, string>) => build({ ingresses: [main, canary(a)], ...cluster }).rejected.map((r) => r.reason);
    expect(reasons({ [`${A}canary-weight`]: '150' })).toEqual([`annotation ${A}canary-weight: "150" is more than canary-weight-total (100)`]);
    expect(reasons({ [`${A}canary-weight-total`]: '0' })).toEqual([`annotation ${A}canary-weight-total: "0" must be at least 1`]);
    expect(reasons({ [`${A}canary-weight`]: '-5' })[0]).toContain('is not a whole number');
    expect(reasons({ [`${A}canary-by-header`]: 'X Canary' })[0]).toContain('is not a header name');
    expect(reasons({ [`${A}canary-by-cookie`]: 'a=b' })[0]).toContain('is not a cookie name');
    expect(reasons({ [`${A}canary-by-header-pattern`]: '(?<x>a)' })[0]).toContain('only "(?:" groups are allowed');
  });
});
