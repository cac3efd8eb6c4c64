// TLS through a real nginx: the Secret's certificate by SNI, the fake certificate for everything
// else, http → https 308 as ingress-nginx (ssl-redirect needs TLS on the host, force-ssl-redirect
// does not), the https headers, and a changed Secret served after the reload it causes.

import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Certificate, IngressModel } from '../src/model.js';
import { certificateFile } from '../src/render/env.js';
import { checkNginx } from '../src/nginx/preflight.js';
import { FAKE_CERTIFICATE_CN, FAKE_CERTIFICATE_O } from '../src/nginx/default-certificate.js';
import { get, getTls, makeLab, peerCertificate, selfSignedCertificate, startEchoBackend, type EchoBackend, type Lab } from './nginx-harness.js';
import { backend, loc, model } from './render-fixtures.js';

describe('TLS through nginx', () => {
  let lab: Lab;
  let app: EchoBackend;
  let cert: Certificate;

  function tlsModel(c: Certificate): IngressModel {
    const ep: [string, number][] = [[app.address, app.port]];
    return model(
      [
        { hostname: 'forced.example.com', locations: [loc('/', 'default-app-80', { config: { forceSslRedirect: true } })] },
        { hostname: 'plain.example.com', locations: [loc('/', 'default-app-80')] },
        { hostname: 'secure.example.com', tls: { certificate: c.id }, locations: [loc('/', 'default-app-80')] },
        { hostname: 'unredirected.example.com', tls: { certificate: c.id }, locations: [loc('/', 'default-app-80', { config: { sslRedirect: false } })] },
      ],
      [backend('default-app-80', ep)],
      [c],
    );
  }

  beforeAll(async () => {
    await checkNginx('nginx', '/usr/lib/nginx/modules'); // fails (not skips) without libnginx-mod-http-lua
    lab = await makeLab('127.0.0.41');
    app = await startEchoBackend('app', '127.0.0.42');
    cert = await selfSignedCertificate('secure.example.com');
    await lab.runtime.start(tlsModel(cert));
  });

  afterAll(async () => {
    await lab?.cleanup();
    await app?.close();
  });

  it('presents the Secret\'s certificate for its host (SNI), written 0600', async () => {
    const c = await peerCertificate(lab.address, lab.https, 'secure.example.com');
    expect(c.subject.CN).toBe('secure.example.com');
    const mode = (await stat(certificateFile(lab.env, cert.id))).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  it('presents the fake certificate for an unknown SNI, no SNI, and a host without TLS', async () => {
    for (const sni of ['unknown.example.org', undefined, 'plain.example.com']) {
      const c = await peerCertificate(lab.address, lab.https, sni);
      expect([sni, c.subject.CN, c.subject.O]).toEqual([sni, FAKE_CERTIFICATE_CN, FAKE_CERTIFICATE_O]);
    }
  });

  it('redirects http to https with 308 as ingress-nginx (host without port, one trailing / dropped)', async () => {
    const cases: [string, string][] = [
      ['/', 'https://secure.example.com'],
      ['/shop/', 'https://secure.example.com/shop'],
      ['/a/b?x=1', 'https://secure.example.com/a/b?x=1'],
    ];
    for (const [path, location] of cases) {
      const r = await get(lab.address, lab.http, { host: `secure.example.com:${lab.http}`, path });
      expect([path, r.status, r.headers.location]).toEqual([path, 308, location]);
    }
  });

  it('ssl-redirect needs TLS on the host; force-ssl-redirect does not; ssl-redirect false turns it off', async () => {
    expect((await get(lab.address, lab.http, { host: 'plain.example.com' })).json?.backend).toBe('app');
    const forced = await get(lab.address, lab.http, { host: 'forced.example.com', path: '/x' });
    expect([forced.status, forced.headers.location]).toEqual([308, 'https://forced.example.com/x']);
    expect((await get(lab.address, lab.http, { host: 'unredirected.example.com' })).json?.backend).toBe('app');
  });

  it('proxies https with X-Forwarded-Proto https and X-Forwarded-Port 443', async () => {
    const r = await getTls(lab.address, lab.https, { host: 'secure.example.com', path: '/over-tls' });
    expect(r.certificate.subject.CN).toBe('secure.example.com');
    expect(r.json?.backend).toBe('app');
    expect(r.json?.headers).toMatchObject({ 'x-forwarded-proto': 'https', 'x-forwarded-port': '443', 'x-scheme': 'https', host: 'secure.example.com' });
  });

  it('a changed Secret is a new certificate id: one reload, and the new certificate is served', async () => {
    const next = await selfSignedCertificate('secure.example.com');
    expect(next.id).not.toBe(cert.id);
    const before = (await peerCertificate(lab.address, lab.https, 'secure.example.com')).fingerprint256;
    const r = await lab.runtime.apply(tlsModel(next));
    expect(r).toEqual({ reloaded: true, pushedBackends: false });
    const after = (await peerCertificate(lab.address, lab.https, 'secure.example.com')).fingerprint256;
    expect(after).not.toBe(before);
    // the old file is gone once nothing uses it
    await expect(stat(certificateFile(lab.env, cert.id))).rejects.toThrow();
    cert = next;
  });
});
