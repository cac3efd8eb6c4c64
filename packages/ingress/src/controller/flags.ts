// The controller's command line, with ingress-nginx's flag names and defaults. Flags svclab does not
// implement are refused by name rather than silently ignored.
import { parseArgs } from 'node:util';
import type { ObjectRef } from '../model.js';

export interface ControllerFlags {
  ingressClass: string;
  controllerClass: string;
  watchIngressWithoutClass: boolean;
  /** namespace/name of the ConfigMap with the global settings */
  configMap?: ObjectRef;
  publishService?: ObjectRef;
  publishStatusAddress: string[];
  reportNodeInternalIp: boolean;
  defaultBackendService?: ObjectRef;
  /** the only namespace to watch; every namespace when unset */
  watchNamespace?: string;
  httpPort: number;
  httpsPort: number;
  /** /healthz and /metrics */
  healthzPort: number;
  /** where nginx.conf, certificates and temp files live */
  stateDir: string;
  updateStatus: boolean;
  kubeconfig?: string;
}

const ref = (flag: string, v: string | undefined, ns: string): ObjectRef | undefined => {
  if (!v) return undefined;
  const parts = v.split('/');
  if (parts.length > 2 || parts.some((p) => !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(p))) throw new Error(`--${flag}: expected <namespace>/<name>, got ${JSON.stringify(v)}`);
  return parts.length === 2 ? { namespace: parts[0]!, name: parts[1]! } : { namespace: ns, name: parts[0]! };
};

const port = (flag: string, v: string | undefined, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`--${flag}: ${JSON.stringify(v)} is not a port number`);
  return n;
};

const bool = (v: string | boolean | undefined, dflt: boolean): boolean => (v === undefined ? dflt : v === true || v === 'true');

/** Go's flag package lets a boolean flag stand alone (`--update-status`); parseArgs needs `=true` */
const BOOLEANS = ['watch-ingress-without-class', 'report-node-internal-ip-address', 'update-status', 'ingress-class-by-name'];

export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): ControllerFlags {
  const { values } = parseArgs({
    args: argv.map((a) => (BOOLEANS.includes(a.replace(/^--?/, '')) ? `--${a.replace(/^--?/, '')}=true` : a.replace(/^-(?=[a-z])/, '--'))),
    allowPositionals: false,
    options: {
      'ingress-class': { type: 'string' },
      'controller-class': { type: 'string' },
      'watch-ingress-without-class': { type: 'string' },
      configmap: { type: 'string' },
      'publish-service': { type: 'string' },
      'publish-status-address': { type: 'string' },
      'report-node-internal-ip-address': { type: 'string' },
      'default-backend-service': { type: 'string' },
      'watch-namespace': { type: 'string' },
      'http-port': { type: 'string' },
      'https-port': { type: 'string' },
      'healthz-port': { type: 'string' },
      'update-status': { type: 'string' },
      'state-dir': { type: 'string' },
      kubeconfig: { type: 'string' },
      // accepted as upstream's manifests pass them; single replica, so no leader election to run
      'election-id': { type: 'string' },
      'ingress-class-by-name': { type: 'string' },
    },
  });
  const podNamespace = env.POD_NAMESPACE ?? 'ingress-nginx';
  return {
    ingressClass: values['ingress-class'] ?? 'nginx',
    controllerClass: values['controller-class'] ?? 'k8s.io/ingress-nginx',
    watchIngressWithoutClass: bool(values['watch-ingress-without-class'], false),
    configMap: ref('configmap', values.configmap, podNamespace),
    publishService: ref('publish-service', values['publish-service'], podNamespace),
    publishStatusAddress: (values['publish-status-address'] ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    reportNodeInternalIp: bool(values['report-node-internal-ip-address'], false),
    defaultBackendService: ref('default-backend-service', values['default-backend-service'], podNamespace),
    watchNamespace: values['watch-namespace'] || undefined,
    httpPort: port('http-port', values['http-port'], 80),
    httpsPort: port('https-port', values['https-port'], 443),
    healthzPort: port('healthz-port', values['healthz-port'], 10254),
    updateStatus: bool(values['update-status'], true),
    stateDir: values['state-dir'] ?? '/etc/nginx',
    kubeconfig: values.kubeconfig,
  };
}
