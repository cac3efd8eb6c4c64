// A kubernetes.io/tls Secret, checked as nginx would need it: PEM certificate(s) that parse, an
// unencrypted private key that parses and matches the leaf. The PEM kept is re-encoded from the
// parsed objects, so nothing but certificates and the key ever reaches the file the runtime writes.
import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate, ObjectRef } from '../model.js';
import { checkHostname } from './grammar.js';

export type LoadedCertificate = { ok: true; cert: Certificate } | { ok: false; reason: string };

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\r\n]+[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

export function loadCertificate(secret: V1Secret | undefined, ref: ObjectRef): LoadedCertificate {
  const what = `Secret ${ref.namespace}/${ref.name}`;
  if (!secret) return { ok: false, reason: `${what} not found` };
  if (secret.type !== 'kubernetes.io/tls') return { ok: false, reason: `${what} is of type ${JSON.stringify(secret.type ?? '')}, not kubernetes.io/tls` };
  const crt = decode(secret.data?.['tls.crt']);
  const key = decode(secret.data?.['tls.key']);
  if (!crt) return { ok: false, reason: `${what} has no tls.crt` };
  if (!key) return { ok: false, reason: `${what} has no tls.key` };

  const blocks = crt.match(CERT_BLOCK) ?? [];
  if (!blocks.length) return { ok: false, reason: `${what}: tls.crt holds no PEM certificate` };
  let chain: X509Certificate[];
  try {
    chain = blocks.map((b) => new X509Certificate(b));
  } catch (e) {
    return { ok: false, reason: `${what}: tls.crt is not a valid certificate (${(e as Error).message})` };
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key, format: 'pem' });
  } catch (e) {
    return { ok: false, reason: `${what}: tls.key is not a valid unencrypted private key (${(e as Error).message})` };
  }
  const leaf = chain[0]!;
  if (!leaf.checkPrivateKey(privateKey)) return { ok: false, reason: `${what}: tls.key does not match the certificate in tls.crt` };

  const pem = chain.map((c) => c.toString()).join('') + String(privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const cert: Certificate = {
    id: createHash('sha256').update(pem).digest('hex').slice(0, 16),
    secret: ref,
    pem,
    hosts: certificateNames(leaf),
  };
  const notAfter = new Date(leaf.validTo);
  if (!Number.isNaN(notAfter.getTime())) cert.notAfter = notAfter.toISOString();
  return { ok: true, cert };
}

/**
 * The DNS names a certificate is valid for: its SAN DNS names, then its subject CN, which upstream
 * still accepts as a fallback (tutorial 004's `openssl req -subj "/CN=*.devops.cn"` has no SAN).
 */
function certificateNames(c: X509Certificate): string[] {
  const names: string[] = [];
  for (const m of (c.subjectAltName ?? '').matchAll(/(?:^|, )DNS:([^,"]+)(?=,|$)/g)) names.push(m[1]!.toLowerCase());
  const cn = /^CN=(.+)$/m.exec(c.subject)?.[1]?.toLowerCase();
  if (cn && !names.includes(cn)) names.push(cn);
  return names.filter((n) => checkHostname(n) === undefined);
}

/** whether a certificate name covers a host: equal, or `*.domain` for exactly one more label */
export function covers(names: readonly string[], host: string): boolean {
  const h = host.toLowerCase();
  return names.some((n) => n === h || (n.startsWith('*.') && !h.startsWith('*.') && h.slice(h.indexOf('.') + 1) === n.slice(2) && h.indexOf('.') > 0));
}

function decode(b64: string | undefined): string | undefined {
  return b64 ? Buffer.from(b64, 'base64').toString('latin1') : undefined;
}
