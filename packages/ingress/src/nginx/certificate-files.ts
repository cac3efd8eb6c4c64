// TLS Secrets on disk: `<certsDir>/<id>.pem`, mode 0600, certificate chain then key. The id is a
// hash of the PEM, so a changed Secret is a new file (and a new nginx.conf, hence a reload), and a
// file is never rewritten under a running nginx. Files the running config no longer names are
// removed only after a successful reload.

import { chmod, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Certificate } from '../model.js';
import { certificateFile, type RenderEnv } from '../render/env.js';
import { fileComponent } from '../render/quote.js';

async function sameContent(file: string, pem: string): Promise<boolean> {
  try {
    return (await readFile(file, 'utf8')) === pem;
  } catch {
    return false;
  }
}

export async function writeCertificates(env: RenderEnv, certificates: Certificate[]): Promise<void> {
  for (const c of certificates) {
    const file = certificateFile(env, fileComponent(c.id, `certificate id of Secret ${c.secret.namespace}/${c.secret.name}`));
    if (await sameContent(file, c.pem)) continue;
    const tmp = `${file}.tmp`;
    await writeFile(tmp, c.pem, { mode: 0o600 });
    await chmod(tmp, 0o600); // in case an older tmp file existed with other bits
    await rename(tmp, file);
  }
}

/** removes `<id>.pem` files not in keep (the default certificate is never removed) */
export async function removeUnusedCertificates(env: RenderEnv, keep: Certificate[]): Promise<void> {
  const wanted = new Set(keep.map((c) => `${c.id}.pem`));
  wanted.add(basename(env.paths.defaultCertificate));
  for (const name of await readdir(env.paths.certsDir)) {
    if (name.endsWith('.pem') && !wanted.has(name)) await rm(join(env.paths.certsDir, name), { force: true });
  }
}
