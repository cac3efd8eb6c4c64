// TLS: which certificate each host presents, and why it falls back to the default one.
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CATCH_ALL } from '../src/model.js';
import { build, ingress, selfSigned, server, tlsSecret } from './build-fixtures.js';

const shop = selfSigned('/CN=shop.example.com', ['shop.example.com', 'www.shop.example.com']);
const wildcard = selfSigned('/CN=wildcard', ['*.example.org']);
const other = selfSigned('/CN=other.example.net', ['other.example.net']);

const tlsIngress = (name: string, host: string, tls: Array<{ hosts?: string[]; secretName?: string }>, created?: string) =>
  ingress(name, { created, rules: [{ host, paths: [{ path: '/', service: 'web', port: 80 }] }], tls });

const defaultReason = (m: ReturnType<typeof build>, host: string): string => {
  const t = server(m, host).tls;
  if (!t || t.certificate !== 'default' || !('reason' in t)) throw new Error(`expected the default certificate for ${host}, got ${JSON.stringify(t)}`);
  return t.reason;
};

describe('TLS from kubernetes.io/tls Secrets', () => {
  it('serves a valid Secret\'s certificate for a host its SAN names, as canonical PEM with a stable id', () => {
    const m = build({ ingresses: [tlsIngress('shop', 'shop.example.com', [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }])], secrets: [tlsSecret('shop-tls', shop.crt, shop.key)] });
    const cert = m.certificates[0]!;
    expect(server(m, 'shop.example.com').tls).toEqual({ certificate: cert.id });
    expect(cert.id).toBe(createHash('sha256').update(cert.pem).digest('hex').slice(0, 16));
    expect(cert).toMatchObject({ secret: { namespace: 'default', name: 'shop-tls' }, hosts: ['shop.example.com', 'www.shop.example.com'] });
    expect(new X509Certificate(cert.pem).subject).toBe('CN=shop.example.com');
    expect(createPrivateKey(cert.pem).asymmetricKeyType).toBe('ec');
    expect(new Date(cert.notAfter!).getTime()).toBeGreaterThan(Date.now());
    expect(server(m, CATCH_ALL).tls).toBeUndefined();
  });

  it('covers one label with a wildcard certificate, not the bare domain nor two labels', () => {
    const m = build({
      ingresses: ['a.example.org', 'example.org', 'a.b.example.org', '*.example.org'].map((h, i) => tlsIngress(`w${i}`, h, [{ hosts: [h], secretName: 'wild' }])),
      secrets: [tlsSecret('wild', wildcard.crt, wildcard.key)],
    });
    const id = m.certificates[0]!.id;
    expect(server(m, 'a.example.org').tls).toEqual({ certificate: id });
    expect(server(m, '*.example.org').tls).toEqual({ certificate: id });
    expect(defaultReason(m, 'example.org')).toContain('is not valid for example.org');
    expect(defaultReason(m, 'a.b.example.org')).toContain('is not valid for a.b.example.org');
    expect(m.certificates).toHaveLength(1);
  });

  it('falls back to the default certificate, saying why, for a missing, mistyped, malformed or mismatched Secret', () => {
    const m = build({
      ingresses: [
        tlsIngress('missing', 'missing.example.com', [{ hosts: ['missing.example.com'], secretName: 'nope' }]),
        tlsIngress('opaque', 'opaque.example.com', [{ hosts: ['opaque.example.com'], secretName: 'opaque' }]),
        tlsIngress('garbage', 'garbage.example.com', [{ hosts: ['garbage.example.com'], secretName: 'garbage' }]),
        tlsIngress('badkey', 'badkey.example.com', [{ hosts: ['badkey.example.com'], secretName: 'badkey' }]),
        tlsIngress('mismatch', 'shop.example.com', [{ hosts: ['shop.example.com'], secretName: 'mismatch' }]),
        tlsIngress('wrong-host', 'other.example.com', [{ hosts: ['other.example.com'], secretName: 'shop-tls' }]),
        tlsIngress('no-secret', 'nosecret.example.com', [{ hosts: ['nosecret.example.com'] }]),
      ],
      secrets: [
        tlsSecret('opaque', shop.crt, shop.key, 'default', 'Opaque'),
        tlsSecret('garbage', '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n', shop.key),
        tlsSecret('badkey', shop.crt, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'),
        tlsSecret('mismatch', shop.crt, other.key),
        tlsSecret('shop-tls', shop.crt, shop.key),
      ],
    });
    expect(defaultReason(m, 'missing.example.com')).toBe('Secret default/nope not found');
    expect(defaultReason(m, 'opaque.example.com')).toBe('Secret default/opaque is of type "Opaque", not kubernetes.io/tls');
    expect(defaultReason(m, 'garbage.example.com')).toContain('tls.crt is not a valid certificate');
    expect(defaultReason(m, 'badkey.example.com')).toContain('tls.key is not a valid unencrypted private key');
    expect(defaultReason(m, 'shop.example.com')).toBe('Secret default/mismatch: tls.key does not match the certificate in tls.crt');
    expect(defaultReason(m, 'other.example.com')).toContain('Secret default/shop-tls is not valid for other.example.com');
    expect(defaultReason(m, 'nosecret.example.com')).toContain('has no secretName');
    expect(m.certificates).toEqual([]);
  });

  it('gives a host the Ingress lists no TLS entry for the default certificate when the Ingress has a TLS section', () => {
    const m = build({
      ingresses: [ingress('two-hosts', {
        rules: [{ host: 'shop.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }, { host: 'plain.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
        tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
      })],
      secrets: [tlsSecret('shop-tls', shop.crt, shop.key)],
    });
    expect(server(m, 'shop.example.com').tls).toEqual({ certificate: m.certificates[0]!.id });
    expect(defaultReason(m, 'plain.example.com')).toContain('no spec.tls entry of Ingress default/two-hosts names plain.example.com');
  });

  it('applies a host-less TLS entry to the catch-all server, and to hosts its certificate covers', () => {
    const m = build({
      ingresses: [ingress('hostless', {
        rules: [{ paths: [{ path: '/', service: 'web', port: 80 }] }, { host: 'www.shop.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }],
        tls: [{ secretName: 'shop-tls' }],
      })],
      secrets: [tlsSecret('shop-tls', shop.crt, shop.key)],
    });
    const id = m.certificates[0]!.id;
    expect(server(m, CATCH_ALL).tls).toEqual({ certificate: id });
    expect(server(m, 'www.shop.example.com').tls).toEqual({ certificate: id });
  });

  it('lets the oldest Ingress with a TLS section for the host decide', () => {
    const m = build({
      ingresses: [
        tlsIngress('young', 'shop.example.com', [{ hosts: ['shop.example.com'], secretName: 'missing' }], '2024-05-01T00:00:00Z'),
        tlsIngress('old', 'shop.example.com', [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }], '2024-01-01T00:00:00Z'),
      ],
      secrets: [tlsSecret('shop-tls', shop.crt, shop.key)],
    });
    expect(server(m, 'shop.example.com').tls).toEqual({ certificate: m.certificates[0]!.id });
  });

  it('lists each certificate once, sorted by id, and only those a server uses', () => {
    const m = build({
      ingresses: [
        tlsIngress('a', 'shop.example.com', [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }]),
        tlsIngress('b', 'www.shop.example.com', [{ hosts: ['www.shop.example.com'], secretName: 'shop-tls' }]),
        tlsIngress('c', 'x.example.org', [{ hosts: ['x.example.org'], secretName: 'wild' }]),
      ],
      secrets: [tlsSecret('shop-tls', shop.crt, shop.key), tlsSecret('wild', wildcard.crt, wildcard.key), tlsSecret('unused', other.crt, other.key)],
    });
    const ids = m.certificates.map((c) => c.id);
    expect(ids).toHaveLength(2);
    expect(ids).toEqual([...ids].sort());
    expect(m.certificates.map((c) => c.secret.name).sort()).toEqual(['shop-tls', 'wild']);
  });

  it('looks the Secret up in the Ingress\'s own namespace only', () => {
    const m = build({
      ingresses: [ingress('ns', { ns: 'team-a', rules: [{ host: 'shop.example.com', paths: [{ path: '/', service: 'web', port: 80 }] }], tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }] })],
      secrets: [tlsSecret('shop-tls', shop.crt, shop.key, 'team-b')],
    });
    expect(defaultReason(m, 'shop.example.com')).toBe('Secret team-a/shop-tls not found');
  });
});
