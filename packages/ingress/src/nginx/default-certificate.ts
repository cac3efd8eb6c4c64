// The certificate nginx presents when a host has no usable TLS Secret, or for an unknown SNI: the
// same self-signed "Kubernetes Ingress Controller Fake Certificate" ingress-nginx generates at
// start (O=Acme Co, SAN ingress.local, one year, RSA 2048). node:crypto cannot build an X.509
// certificate, so openssl does it; generated once per state dir and reused.

import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { execa } from 'execa';

export const FAKE_CERTIFICATE_CN = 'Kubernetes Ingress Controller Fake Certificate';
export const FAKE_CERTIFICATE_O = 'Acme Co';

async function usable(file: string): Promise<boolean> {
  try {
    const pem = await readFile(file, 'utf8');
    return pem.includes('BEGIN CERTIFICATE') && pem.includes('PRIVATE KEY');
  } catch {
    return false;
  }
}

/** writes `file` (certificate then key, PEM, mode 0600) unless a usable one is already there */
export async function ensureDefaultCertificate(file: string): Promise<void> {
  if (await usable(file)) return;
  const cert = `${file}.cert.tmp`;
  const key = `${file}.key.tmp`;
  try {
    const r = await execa('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '365',
      '-subj', `/O=${FAKE_CERTIFICATE_O}/CN=${FAKE_CERTIFICATE_CN}`,
      '-addext', 'subjectAltName=DNS:ingress.local',
      '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
      '-addext', 'extendedKeyUsage=serverAuth',
      '-keyout', key, '-out', cert,
    ], { reject: false });
    if (r.exitCode !== 0) {
      throw new Error(`could not generate the default (fake) certificate with openssl: ${r.stderr.trim() || r.message}`);
    }
    const pem = (await readFile(cert, 'utf8')) + (await readFile(key, 'utf8'));
    await writeFile(`${file}.tmp`, pem, { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  } finally {
    await rm(cert, { force: true });
    await rm(key, { force: true });
  }
}
