// The real, versioned kubectl binaries that sit beside the `kubectl` dispatcher on the PATH.
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execaSync } from 'execa';

export function kubectlBinary(version: string): string {
  const which = execaSync('sh', ['-c', 'command -v kubectl'], { reject: false }).stdout;
  if (!which) throw new Error('kubectl is not on the PATH: these tests run the real kubectl (install kubectl 1.32, or the gcloud SDK with its versioned kubectl.1.NN binaries)');
  const beside = join(dirname(realpathSync(which)), `kubectl.${version}`);
  if (existsSync(beside)) return beside;
  throw new Error(`kubectl.${version} was not found beside ${realpathSync(which)}; these tests pin kubectl ${version} to be deterministic`);
}
