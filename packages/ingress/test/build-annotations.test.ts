// Each supported annotation, with a valid and an invalid value.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LOCATION_CONFIG, buildModel } from '../src/build/build.js';
import type { LocationConfig } from '../src/model.js';
import { A, OPTIONS, backend, build, ingressClass, server, simple } from './build-fixtures.js';

const HOST = 'app.example.com';
const withAnnotations = (annotations: Record<string, string>) => build({ ingresses: [simple('app', HOST, '/app', 'app', 80, { annotations })] });

/** the config of the annotated Ingress's location */
const config = (annotations: Record<string, string>): LocationConfig => {
  const m = withAnnotations(annotations);
  expect(m.rejected).toEqual([]);
  return server(m, HOST).locations.find((l) => l.path === '/app')!.config;
};

/** the one-line reason the Ingress is refused with */
const rejection = (annotations: Record<string, string>): string => {
  const m = withAnnotations(annotations);
  expect(m.rejected).toHaveLength(1);
  expect(m.servers.map((s) => s.hostname)).toEqual(['_']);
  return m.rejected[0]!.reason;
};

describe('defaults', () => {
  it('uses ingress-nginx\'s ConfigMap defaults when no annotation is set', () => {
    expect(config({})).toEqual({ sslRedirect: true, forceSslRedirect: false, backendProtocol: 'HTTP', allowSourceRanges: [], proxyBodySize: '1m', proxyConnectTimeout: 5, proxyReadTimeout: 60, proxySendTimeout: 60 });
  });

  it('uses the controller\'s own defaults, and refuses invalid ones loudly', () => {
    const defaults = { ...DEFAULT_LOCATION_CONFIG, proxyBodySize: '10m', allowSourceRanges: ['10.0.0.0/8'] };
    const m = build({ ingresses: [simple('app', HOST, '/app', 'app', 80)] }, { defaults });
    expect(server(m, HOST).locations[0]!.config).toMatchObject({ proxyBodySize: '10m', allowSourceRanges: ['10.0.0.0/8'] });
    const bad = { ...DEFAULT_LOCATION_CONFIG, proxyBodySize: '1m; load_module x' };
    expect(() => buildModel({ ingresses: [], ingressClasses: [ingressClass('nginx')], services: [], endpointSlices: [], secrets: [] }, { ...OPTIONS, defaults: bad })).toThrow(/invalid controller defaults: proxy-body-size/);
  });
});

describe('rewrite-target and use-regex', () => {
  it('takes regex paths only with pathType ImplementationSpecific (strict path types, as upstream)', () => {
    const ing = simple('cap', HOST, '/api(/|$)(.*)', 'api', 80, { annotations: { [`${A}rewrite-target`]: '/$2' } });
    const reason = build({ ingresses: [ing] }).rejected[0]?.reason;
    expect(reason).toBe('spec.rules[0].http.paths[0].path: "/api(/|$)(.*)" is not allowed for this pathType (a "/" then letters, digits and . _ ~ - / only)');
    ing.spec!.rules![0]!.http!.paths[0]!.pathType = 'ImplementationSpecific';
    const m = build({ ingresses: [ing] });
    expect(m.rejected).toEqual([]);
    expect(server(m, HOST).locations[0]).toMatchObject({ path: '/api(/|$)(.*)', regex: true, config: { rewriteTarget: '/$2' } });
  });

  it('refuses targets that are not a path with $1…$9', () => {
    expect(rejection({ [`${A}rewrite-target`]: '$1' })).toContain('is not a rewrite target');
    expect(rejection({ [`${A}rewrite-target`]: '/$0' })).toContain('is not a rewrite target');
    expect(rejection({ [`${A}rewrite-target`]: '/$10' })).toContain('is not a rewrite target');
    expect(rejection({ [`${A}rewrite-target`]: 'http://evil.example.com/' })).toContain('is not a rewrite target');
  });

  it('reads use-regex as a Go boolean', () => {
    expect(server(withAnnotations({ [`${A}use-regex`]: 'True' }), HOST).locations.every((l) => l.regex)).toBe(true);
    expect(server(withAnnotations({ [`${A}use-regex`]: 'false' }), HOST).locations.some((l) => l.regex)).toBe(false);
    expect(rejection({ [`${A}use-regex`]: 'yes' })).toBe(`annotation ${A}use-regex: "yes" is not a boolean ("true" or "false")`);
  });
});

describe('ssl-redirect, force-ssl-redirect, backend-protocol', () => {
  it('reads the redirects', () => {
    expect(config({ [`${A}ssl-redirect`]: 'false', [`${A}force-ssl-redirect`]: 'true' })).toMatchObject({ sslRedirect: false, forceSslRedirect: true });
    expect(rejection({ [`${A}force-ssl-redirect`]: 'on' })).toContain('is not a boolean');
  });

  it('takes HTTP, HTTPS, GRPC, GRPCS in any case', () => {
    expect(config({ [`${A}backend-protocol`]: 'https' }).backendProtocol).toBe('HTTPS');
    expect(config({ [`${A}backend-protocol`]: 'GRPCS' }).backendProtocol).toBe('GRPCS');
  });

  it('refuses AJP and FCGI clearly as unsupported, and anything else as unknown', () => {
    expect(rejection({ [`${A}backend-protocol`]: 'FCGI' })).toBe(`annotation ${A}backend-protocol: "FCGI" is not supported by this controller (use HTTP, HTTPS, GRPC or GRPCS)`);
    expect(rejection({ [`${A}backend-protocol`]: 'AJP' })).toContain('is not supported by this controller');
    expect(rejection({ [`${A}backend-protocol`]: 'SPDY' })).toContain('is not a backend protocol');
  });
});

describe('affinity', () => {
  it('makes the backend sticky with the session-cookie-* settings', () => {
    const m = withAnnotations({
      [`${A}affinity`]: 'cookie', [`${A}affinity-mode`]: 'persistent', [`${A}session-cookie-name`]: 'route',
      [`${A}session-cookie-path`]: '/app', [`${A}session-cookie-expires`]: '172800', [`${A}session-cookie-max-age`]: '3600',
    });
    expect(backend(m, 'default-app-80').sessionAffinity).toEqual({ name: 'route', path: '/app', expires: 172800, maxAge: 3600, mode: 'persistent' });
  });

  it('defaults to INGRESSCOOKIE, balanced', () => {
    expect(backend(withAnnotations({ [`${A}affinity`]: 'cookie' }), 'default-app-80').sessionAffinity).toEqual({ name: 'INGRESSCOOKIE', mode: 'balanced' });
    expect(backend(withAnnotations({ [`${A}session-cookie-name`]: 'x' }), 'default-app-80').sessionAffinity).toBeUndefined();
  });

  it('refuses other affinity types and bad cookie settings', () => {
    expect(rejection({ [`${A}affinity`]: 'ip' })).toBe(`annotation ${A}affinity: "ip" is not one of "cookie"`);
    expect(rejection({ [`${A}affinity`]: 'cookie', [`${A}affinity-mode`]: 'sticky' })).toContain('is not one of "balanced", "persistent"');
    expect(rejection({ [`${A}affinity`]: 'cookie', [`${A}session-cookie-expires`]: '-1' })).toContain('is not a whole number of seconds');
    expect(rejection({ [`${A}affinity`]: 'cookie', [`${A}session-cookie-name`]: 'a b' })).toContain('is not a cookie name');
    expect(rejection({ [`${A}affinity`]: 'cookie', [`${A}session-cookie-path`]: '/a(b)' })).toContain('session-cookie-path');
  });
});

describe('source ranges', () => {
  it('reads a comma-separated list of IPv4/IPv6 addresses and CIDRs', () => {
    expect(config({ [`${A}whitelist-source-range`]: '10.0.0.0/8, 192.168.1.1,2001:db8::/32' }).allowSourceRanges).toEqual(['10.0.0.0/8', '192.168.1.1', '2001:db8::/32']);
  });

  it('prefers allowlist-source-range over its older alias whitelist-source-range', () => {
    expect(config({ [`${A}allowlist-source-range`]: '172.16.0.0/12', [`${A}whitelist-source-range`]: '10.0.0.0/8' }).allowSourceRanges).toEqual(['172.16.0.0/12']);
  });

  it('refuses anything that is not an address or CIDR', () => {
    expect(rejection({ [`${A}whitelist-source-range`]: '10.0.0.0/33' })).toContain('has "10.0.0.0/33", which has an invalid prefix length');
    expect(rejection({ [`${A}whitelist-source-range`]: '300.1.1.1' })).toContain('is not an IP address or CIDR');
    expect(rejection({ [`${A}allowlist-source-range`]: 'fe80::1%eth0' })).toContain('is not an IP address or CIDR');
  });
});

describe('proxy settings', () => {
  it('reads body size and timeouts', () => {
    expect(config({ [`${A}proxy-body-size`]: '8m', [`${A}proxy-connect-timeout`]: '10', [`${A}proxy-read-timeout`]: '3600', [`${A}proxy-send-timeout`]: '120' }))
      .toMatchObject({ proxyBodySize: '8m', proxyConnectTimeout: 10, proxyReadTimeout: 3600, proxySendTimeout: 120 });
    expect(config({ [`${A}proxy-body-size`]: '0' }).proxyBodySize).toBe('0');
    expect(config({ [`${A}proxy-body-size`]: '100K' }).proxyBodySize).toBe('100K');
  });

  it('refuses sizes nginx would not parse and timeouts that are not whole seconds', () => {
    for (const v of ['1.5m', '1mb', '-1', '1b']) expect(rejection({ [`${A}proxy-body-size`]: v })).toContain('is not a size');
    for (const v of ['0', '1.5', '60s']) expect(rejection({ [`${A}proxy-read-timeout`]: v })).toContain('is not a timeout in whole seconds');
    // an empty value means "not set", as upstream
    expect(config({ [`${A}proxy-read-timeout`]: '' }).proxyReadTimeout).toBe(60);
  });
});

describe('snippets, unsupported and unknown annotations', () => {
  it('refuses every *-snippet annotation', () => {
    for (const name of ['configuration-snippet', 'server-snippet', 'auth-snippet', 'stream-snippet', 'modsecurity-snippet']) {
      expect(rejection({ [`${A}${name}`]: 'add_header X-Hello 1;' })).toBe(`annotation ${A}${name}: snippet annotations are not allowed (allow-snippet-annotations is false)`);
    }
  });

  it('refuses access control it does not implement rather than serving without it', () => {
    expect(rejection({ [`${A}auth-url`]: 'http://auth.example.com/verify' })).toContain('will not serve the Ingress without the protection it asks for');
    expect(rejection({ [`${A}auth-type`]: 'basic' })).toContain(`annotation ${A}auth-type`);
    expect(rejection({ [`${A}denylist-source-range`]: '10.0.0.0/8' })).toContain('denylist-source-range');
  });

  it('ignores annotations it does not know, and other prefixes', () => {
    expect(config({ [`${A}enable-cors`]: 'true', [`${A}no-such-annotation`]: 'whatever', 'example.com/thing': '{;}' })).toEqual(config({}));
  });
});
