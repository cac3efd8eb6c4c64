// The controller's state directory: nginx.conf, pid, temp dirs, certificates. Run as root, nginx's
// workers switch to an unprivileged user: they must be able to reach the temp directories (nginx
// creates and chowns those itself) but not read the certificates (the master loads them).

import { chmod, mkdir } from 'node:fs/promises';
import type { RenderEnv } from '../render/env.js';

export async function prepareStateDir(env: RenderEnv): Promise<void> {
  const p = env.paths;
  await mkdir(p.stateDir, { recursive: true });
  await mkdir(p.tempDir, { recursive: true });
  await mkdir(p.certsDir, { recursive: true });
  await chmod(p.stateDir, 0o711);
  await chmod(p.tempDir, 0o711);
  await chmod(p.certsDir, 0o700);
}
