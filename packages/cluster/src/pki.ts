// The cluster's CA and the apiserver's serving certificate, made with the host's openssl
// (EC P-256: key generation takes milliseconds, which keeps `lab up` fast).
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

export interface Pki { caCert: string; serverCert: string; serverKey: string; caCertPath: string }

export async function makePki(dir: string, sans: { dns: string[]; ips: string[] }): Promise<Pki> {
  await mkdir(dir, { recursive: true });
  const f = (n: string) => join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await execa('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '3650',
    '-subj', '/CN=kubernetes', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']);
  const san = [...sans.dns.map((d) => `DNS:${d}`), ...sans.ips.map((i) => `IP:${i}`)].join(',');
  await execa('openssl', ['req', '-x509', ...ec, '-keyout', f('apiserver.key'), '-out', f('apiserver.crt'), '-days', '365',
    '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-subj', '/CN=kube-apiserver',
    '-addext', `subjectAltName=${san}`, '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment', '-addext', 'extendedKeyUsage=serverAuth']);
  const [caCert, serverCert, serverKey] = await Promise.all(['ca.crt', 'apiserver.crt', 'apiserver.key'].map((n) => readFile(f(n), 'utf8')));
  return { caCert: caCert!, serverCert: serverCert!, serverKey: serverKey!, caCertPath: f('ca.crt') };
}
