// TLS from a kubernetes.io/tls Secret, by SNI: the Ingress's host presents the Secret's certificate;
// when the Secret is replaced (a renewed certificate), the new one is served by the same nginx master,
// no restart; other names keep the controller's fake certificate.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTls, peerCertificate } from './nginx-harness.js';
import { startControllerLab, tlsPair, until, type ControllerLab } from './controller-harness.js';

const NGINX_ADDR = '127.0.0.65';
const NS = 'secure';
const HOST = 'secure.example';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('controller: certificates from Secrets', () => {
  let lab: ControllerLab;
  let first: Awaited<ReturnType<typeof tlsPair>>;

  const presented = async (servername: string) => (await peerCertificate(NGINX_ADDR, lab.httpsPort, servername)).fingerprint256;

  beforeAll(async () => {
    lab = await startControllerLab({ address: NGINX_ADDR, namespace: NS });
    await lab.service('web', await lab.backend('web'));
    first = await tlsPair(HOST);
    await lab.core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: 'secure-tls' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64(first.crt), 'tls.key': b64(first.key) } },
    });
    await lab.createIngress(lab.ingressBody('secure', HOST, [{ path: '/', service: 'web' }], { tls: [{ hosts: [HOST], secretName: 'secure-tls' }] }));
  });

  afterAll(async () => {
    await lab?.close();
  });

  it('serves the Secret\'s certificate for the Ingress host, and redirects plain http to https', async () => {
    await until(`${HOST} to present the Secret's certificate`, async () => (await presented(HOST)) === first.fingerprint256);
    await lab.settled();
    const r = await getTls(NGINX_ADDR, lab.httpsPort, { host: HOST, path: '/pay' });
    expect(r.status).toBe(200);
    expect(r.json?.backend).toBe('web');
    expect(r.certificate.subject.CN).toBe(HOST);
    const plain = await lab.get(HOST, '/pay');
    expect(plain.status).toBe(308);
    expect(plain.headers.location).toBe(`https://${HOST}/pay`);
  });

  it('a replaced Secret is served without restarting nginx (same master)', async () => {
    const pid = lab.runtime.pid;
    const renewed = await tlsPair(HOST);
    expect(renewed.fingerprint256).not.toBe(first.fingerprint256);
    const cur = await lab.core.readNamespacedSecret({ namespace: NS, name: 'secure-tls' });
    cur.data = { 'tls.crt': b64(renewed.crt), 'tls.key': b64(renewed.key) };
    await lab.core.replaceNamespacedSecret({ namespace: NS, name: 'secure-tls', body: cur });

    await until(`${HOST} to present the renewed certificate`, async () => (await presented(HOST)) === renewed.fingerprint256);
    // once the old workers are gone, every connection gets it
    await lab.settled();
    for (let i = 0; i < 6; i++) expect(await presented(HOST)).toBe(renewed.fingerprint256);
    expect(lab.runtime.pid).toBe(pid);
    expect(lab.runtime.running).toBe(true);
    const r = await getTls(NGINX_ADDR, lab.httpsPort, { host: HOST });
    expect(r.status).toBe(200);
    expect(r.json?.backend).toBe('web');
  });

  it('another name still gets the fake certificate', async () => {
    const c = await peerCertificate(NGINX_ADDR, lab.httpsPort, 'unknown.example');
    expect(c.subject.CN).toBe('Kubernetes Ingress Controller Fake Certificate');
  });
});
