// The backends JSON pushed to Lua: its shape, canonical form (so equal models never cause a push)
// and validation of the strings that reach HTTP headers.

import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKEND } from '../src/model.js';
import { luaBackends, renderBackendsJson } from '../src/render/backends-json.js';
import { renderEnvFor } from '../src/render/env.js';
import { NginxValueError } from '../src/render/quote.js';
import { backend, model, representativeModel } from './render-fixtures.js';

const env = renderEnvFor('/var/lib/svclab-ingress');

describe('renderBackendsJson', () => {
  it('has the shape lua/backends.lua reads', () => {
    const b = luaBackends(representativeModel(), env);
    expect(b.find((x) => x.name === 'default-app-v2-80')).toEqual({
      name: 'default-app-v2-80',
      endpoints: [{ address: '10.244.1.13', port: 80 }],
      alternativeBackends: [],
      noServer: true,
      trafficShaping: { weight: 20, weightTotal: 100, header: 'X-Canary' },
    });
    expect(b.find((x) => x.name === 'default-sticky-svc-80')?.sessionAffinity).toEqual({ name: 'INGRESSCOOKIE', mode: 'balanced', path: '/', maxAge: 172800 });
    expect(b.find((x) => x.name === 'default-app-v1-80')?.alternativeBackends).toEqual(['default-app-v2-80']);
  });

  it('points the default backend at the controller\'s own 404 server', () => {
    const b = luaBackends(model([], []), renderEnvFor('/x', { ports: { http: 80, https: 443, status: 10246, defaultBackend: 18181 } }));
    expect(b.find((x) => x.name === DEFAULT_BACKEND)?.endpoints).toEqual([{ address: '127.0.0.1', port: 18181 }]);
  });

  it('is canonical: endpoint order does not change the text', () => {
    const a = model([], [backend('default-x-80', [['10.0.0.2', 80], ['10.0.0.1', 81], ['10.0.0.1', 80]])]);
    const b = model([], [backend('default-x-80', [['10.0.0.1', 80], ['10.0.0.2', 80], ['10.0.0.1', 81]])]);
    expect(renderBackendsJson(a, env)).toBe(renderBackendsJson(b, env));
    expect(luaBackends(a, env).find((x) => x.name === 'default-x-80')?.endpoints.map((e) => `${e.address}:${e.port}`)).toEqual(['10.0.0.1:80', '10.0.0.1:81', '10.0.0.2:80']);
  });

  it('refuses values that would reach a header or nginx variable unchecked', () => {
    const bad = [
      backend('b', [['not-an-ip', 80]]),
      backend('b', [['10.0.0.1', 0]]),
      backend('b', [], { sessionAffinity: { name: 'a=b; Path=/', mode: 'balanced' } }),
      backend('b', [], { sessionAffinity: { name: 'ok', path: '/a;b', mode: 'balanced' } }),
      backend('b', [], { trafficShaping: { weight: 10, weightTotal: 100, header: 'X Canary' } }),
      backend('b', [], { trafficShaping: { weight: 10, weightTotal: 100, header: 'X-Canary', headerValue: 'a\r\nb' } }),
      backend('b', [], { trafficShaping: { weight: 1.5, weightTotal: 100 } }),
    ];
    for (const b of bad) expect(() => renderBackendsJson(model([], [b]), env), JSON.stringify(b)).toThrow(NginxValueError);
  });
});
