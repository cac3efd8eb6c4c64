// /nginx-ingress-controller: ingress-nginx's command line, in-cluster client config, nginx in the same
// pod. nginx starts with the configuration of what the informers list (so the pod is Ready when it
// routes what exists); /healthz and /metrics on --healthz-port; nginx stops on SIGTERM.
import { loadKubeConfig } from '@svclab/kube';
import { IngressController } from './controller/controller.js';
import { parseFlags } from './controller/flags.js';
import { startControllerHttp } from './controller/http.js';
import { buildFromSnapshot } from './controller/model-builder.js';
import { RuntimeNginxSide } from './controller/nginx-side.js';
import { renderEnvFor } from './render/env.js';

const log = (m: string) => process.stderr.write(`${new Date().toISOString()} ingress-controller: ${m}\n`);

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const kc = loadKubeConfig(flags.kubeconfig);
  const env = renderEnvFor(flags.stateDir, { ports: { http: flags.httpPort, https: flags.httpsPort, status: 10246, defaultBackend: 8181 } });
  const nginx = new RuntimeNginxSide(env, (line) => log(`nginx: ${line}`));
  const self = process.env.POD_NAME && process.env.POD_NAMESPACE ? { name: process.env.POD_NAME, namespace: process.env.POD_NAMESPACE } : undefined;
  const controller = new IngressController(kc, flags, nginx, buildFromSnapshot, self, log);
  log(`watching Ingresses of class ${flags.ingressClass} (controller ${flags.controllerClass}${flags.watchIngressWithoutClass ? ', and Ingresses without a class' : ''})`);
  const http = await startControllerHttp(flags.healthzPort, controller, log);
  await controller.start();
  log(`nginx serves on :${flags.httpPort} and :${flags.httpsPort}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    log('shutting down: nginx quits gracefully');
    http.close();
    void controller.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: Error) => { log(`fatal: ${e.message}`); process.exit(1); });
