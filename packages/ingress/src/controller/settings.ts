// The controller ConfigMap (--configmap), as ingress-nginx reads it: global defaults for every
// location, and nginx process settings. A bad value is logged and the default kept, as upstream.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { DEFAULT_LOCATION_CONFIG } from '../build/build.js';
import type { LocationConfig } from '../model.js';

export interface Settings {
  defaults: LocationConfig;
  /** seconds old workers may keep serving after a reload */
  workerShutdownTimeout: number;
  workerProcesses: number | 'auto';
}

const DURATION = /^(\d+)(s|m|h)?$/;
const seconds = (v: string): number | undefined => {
  const m = DURATION.exec(v.trim());
  return m ? Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1) : undefined;
};

export function readSettings(cm: V1ConfigMap | undefined, log: (m: string) => void): Settings {
  const base = DEFAULT_LOCATION_CONFIG;
  const data = cm?.data ?? {};
  const defaults: LocationConfig = { ...base, allowSourceRanges: [...base.allowSourceRanges] };
  const bad = (key: string) => log(`ConfigMap ${cm?.metadata?.namespace}/${cm?.metadata?.name}: ignoring ${key}=${JSON.stringify(data[key])} (invalid); keeping the default`);
  const bool = (key: string, set: (b: boolean) => void) => {
    const v = data[key];
    if (v === undefined) return;
    if (v === 'true' || v === 'false') set(v === 'true'); else bad(key);
  };
  const int = (key: string, set: (n: number) => void, max = 86_400) => {
    const v = data[key];
    if (v === undefined) return;
    const n = Number(v);
    if (/^\d+$/.test(v) && n <= max) set(n); else bad(key);
  };
  bool('ssl-redirect', (b) => { defaults.sslRedirect = b; });
  bool('force-ssl-redirect', (b) => { defaults.forceSslRedirect = b; });
  int('proxy-connect-timeout', (n) => { defaults.proxyConnectTimeout = n; });
  int('proxy-read-timeout', (n) => { defaults.proxyReadTimeout = n; });
  int('proxy-send-timeout', (n) => { defaults.proxySendTimeout = n; });
  if (data['proxy-body-size'] !== undefined) {
    if (/^\d{1,9}[kKmMgG]?$/.test(data['proxy-body-size'])) defaults.proxyBodySize = data['proxy-body-size']; else bad('proxy-body-size');
  }
  if (data['allow-snippet-annotations'] === 'true') log('allow-snippet-annotations=true is not supported: svclab never writes snippets into nginx.conf, and Ingresses carrying them are refused');
  let workerShutdownTimeout = 240;
  if (data['worker-shutdown-timeout'] !== undefined) {
    const s = seconds(data['worker-shutdown-timeout']);
    if (s !== undefined && s <= 86_400) workerShutdownTimeout = s; else bad('worker-shutdown-timeout');
  }
  let workerProcesses: number | 'auto' = 'auto';
  if (data['worker-processes'] !== undefined) {
    const v = data['worker-processes'];
    if (v === 'auto') workerProcesses = 'auto';
    else if (/^\d{1,3}$/.test(v) && Number(v) > 0) workerProcesses = Number(v); else bad('worker-processes');
  }
  return { defaults, workerShutdownTimeout, workerProcesses };
}
