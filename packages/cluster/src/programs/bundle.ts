// Our in-cluster programs (kube-proxy, the cluster daemon) as single-file ESM bundles built with
// esbuild and cached until one of their source files changes. Loading @kubernetes/client-node's
// 2,500 modules one by one takes ~2 s per process on these machines; one bundled file takes ~0.2 s,
// which is most of what makes `lab up` fast. (It plays the part of building an image once.)
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveModule } from '@svclab/kube';

declare const __SVCLAB_CLUSTER_PKG__: string | undefined;

/** packages/cluster, also when this code runs from a bundle (the path is baked in at build time). */
export const CLUSTER_PKG = typeof __SVCLAB_CLUSTER_PKG__ === 'string' ? __SVCLAB_CLUSTER_PKG__ : fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(CLUSTER_PKG, 'node_modules', '.cache', 'svclab');

export const PROGRAMS = {
  'kube-proxy': () => resolveModule('@svclab/proxy/main', join(CLUSTER_PKG, 'package.json')),
  'ingress-controller': () => resolveModule('@svclab/ingress/main', join(CLUSTER_PKG, 'package.json')),
  'cluster-daemon': () => join(CLUSTER_PKG, 'src', 'daemon.ts'),
  coredns: () => join(CLUSTER_PKG, 'src', 'dns', 'main.ts'),
};
export type Program = keyof typeof PROGRAMS;

export const bundlePath = (p: Program) => join(CACHE, `${p}.mjs`);

function fresh(p: Program): boolean {
  const out = bundlePath(p);
  const meta = `${out}.inputs.json`;
  if (!existsSync(out) || !existsSync(meta)) return false;
  const built = statSync(out).mtimeMs;
  const inputs = JSON.parse(readFileSync(meta, 'utf8')) as string[];
  return inputs.every((f) => existsSync(f) && statSync(f).mtimeMs <= built);
}

const building = new Map<Program, Promise<string>>();

/** The bundle's path, building it first when it is missing or older than any of its inputs. */
export function bundled(p: Program): Promise<string> {
  if (fresh(p)) return Promise.resolve(bundlePath(p));
  let b = building.get(p);
  if (!b) {
    b = build(p).finally(() => building.delete(p));
    building.set(p, b);
  }
  return b;
}

async function build(p: Program): Promise<string> {
  const { build: esbuild } = await import('esbuild');
  await mkdir(CACHE, { recursive: true });
  const out = bundlePath(p);
  const result = await esbuild({
    entryPoints: [PROGRAMS[p]()], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20',
    metafile: true, logLevel: 'warning', external: ['esbuild'], absWorkingDir: CLUSTER_PKG,
    // the ingress controller's Lua files stay in the package; the bundle needs their folder
    define: { __SVCLAB_CLUSTER_PKG__: JSON.stringify(CLUSTER_PKG), __SVCLAB_INGRESS_LUA_DIR__: JSON.stringify(join(dirname(PROGRAMS['ingress-controller']()), '..', 'lua')) },
    // CommonJS dependencies inside an ESM bundle still call require()
    banner: { js: "import { createRequire as __svclabRequire } from 'node:module'; const require = __svclabRequire(import.meta.url);" },
  });
  const inputs = Object.keys(result.metafile!.inputs).map((f) => join(CLUSTER_PKG, f));
  await writeFile(`${out}.inputs.json`, JSON.stringify(inputs));
  return out;
}
