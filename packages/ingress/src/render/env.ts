// Everything nginx.conf needs that is not in the model: where the controller keeps its files, which
// ports it listens on, and the ConfigMap-level defaults. Kept apart from the model so a change here
// is visibly a change of the controller, not of the cluster.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocationConfig } from '../model.js';

export interface RenderPaths {
  /** directory nginx runs in (`-p`), holding pid, temp dirs and the live nginx.conf */
  stateDir: string;
  pidFile: string;
  /** parent of client-body/, proxy/ … temp directories */
  tempDir: string;
  /** `<certsDir>/<Certificate.id>.pem`, mode 0600 */
  certsDir: string;
  /** the generated "Kubernetes Ingress Controller Fake Certificate" (cert + key, PEM) */
  defaultCertificate: string;
  /** packages/ingress/lua */
  luaDir: string;
  /** directory holding ndk_http_module.so and ngx_http_lua_module.so */
  modulesDir: string;
}

export interface RenderPorts {
  http: number;
  https: number;
  /** status server (configuration endpoint, healthz, metrics): always loopback, never public */
  status: number;
  /** the controller's own default backend (answers 404) */
  defaultBackend: number;
}

export interface RenderEnv {
  paths: RenderPaths;
  ports: RenderPorts;
  /** addresses the public listeners bind; `*` = all */
  bind: string[];
  /** loopback address of the status server */
  statusAddress: string;
  /** loopback address of the default backend server */
  defaultBackendAddress: string;
  /** `auto` or a count */
  workerProcesses: number | 'auto';
  /** seconds; old workers are killed this long after a reload (ingress-nginx default 240s) */
  workerShutdownTimeout: number;
  workerConnections: number;
  /** upstream keepalive connections per worker (ingress-nginx default 320; 0 disables) */
  upstreamKeepaliveConnections: number;
  /** size of the shared dict holding the backends JSON, in MiB (ingress-nginx: 20) */
  configurationDictMiB: number;
  /** access log file, or undefined for none (the error log always goes to stderr) */
  accessLog?: string;
  /** error_log level */
  errorLogLevel: 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit';
  /** config for locations the renderer adds itself (a server without a `/` location) */
  defaults: LocationConfig;
}

/** ingress-nginx's ConfigMap defaults for a location: one definition, the builder's */
import { DEFAULT_LOCATION_CONFIG } from '../build/build.js';

export { DEFAULT_LOCATION_CONFIG };

/** packages/ingress/lua, wherever the package is checked out */
declare const __SVCLAB_INGRESS_LUA_DIR__: string | undefined;
/** (a bundle of the controller has the folder's path baked in at build time) */
export const PACKAGE_LUA_DIR = typeof __SVCLAB_INGRESS_LUA_DIR__ === 'string' ? __SVCLAB_INGRESS_LUA_DIR__ : fileURLToPath(new URL('../../lua', import.meta.url));

/** Debian's module directory (libnginx-mod-http-lua, libnginx-mod-http-ndk) */
export const DEBIAN_MODULES_DIR = '/usr/lib/nginx/modules';

export function pathsFor(stateDir: string): RenderPaths {
  return {
    stateDir,
    pidFile: join(stateDir, 'nginx.pid'),
    tempDir: join(stateDir, 'tmp'),
    certsDir: join(stateDir, 'certs'),
    defaultCertificate: join(stateDir, 'certs', 'default-fake-certificate.pem'),
    luaDir: PACKAGE_LUA_DIR,
    modulesDir: DEBIAN_MODULES_DIR,
  };
}

/** the env ingress-nginx would have, rooted at stateDir; override what a test or lab needs */
export function renderEnvFor(stateDir: string, overrides: Partial<Omit<RenderEnv, 'paths'>> & { paths?: Partial<RenderPaths> } = {}): RenderEnv {
  const { paths, ...rest } = overrides;
  return {
    bind: ['*'],
    statusAddress: '127.0.0.1',
    defaultBackendAddress: '127.0.0.1',
    workerProcesses: 'auto',
    workerShutdownTimeout: 240,
    workerConnections: 16384,
    upstreamKeepaliveConnections: 320,
    configurationDictMiB: 20,
    errorLogLevel: 'notice',
    defaults: { ...DEFAULT_LOCATION_CONFIG, allowSourceRanges: [] },
    ...rest,
    ports: { http: 80, https: 443, status: 10246, defaultBackend: 8181, ...rest.ports },
    paths: { ...pathsFor(stateDir), ...paths },
  };
}

/** `<certsDir>/<id>.pem`: the file a Certificate is written to and ssl_certificate names */
export function certificateFile(env: RenderEnv, id: string): string {
  return join(env.paths.certsDir, `${id}.pem`);
}
