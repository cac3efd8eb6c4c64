// Installs the ingress-nginx add-on through the API (as `minikube addons enable ingress` does), creating
// only what is missing, so it is safe to run on a cluster that already has it.
import { AppsV1Api, CoreV1Api, NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import { bundled } from '../programs/bundle.js';
import { ingressClass, ingressConfigMap, ingressDeployment, ingressNamespace, ingressService, ingressServiceAccount, INGRESS_NAMESPACE } from './ingress-nginx.js';

const exists = (e: unknown) => (e as { code?: number }).code === 409;

export async function installIngressNginx(kc: KubeConfig): Promise<void> {
  // the image's program, built before its pod can be scheduled
  await bundled('ingress-controller');
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const net = kc.makeApiClient(NetworkingV1Api);
  const namespace = INGRESS_NAMESPACE;
  const steps: Array<() => Promise<unknown>> = [
    () => core.createNamespace({ body: ingressNamespace }),
    () => core.createNamespacedServiceAccount({ namespace, body: ingressServiceAccount }),
    () => core.createNamespacedConfigMap({ namespace, body: ingressConfigMap }),
    () => net.createIngressClass({ body: ingressClass }),
    () => core.createNamespacedService({ namespace, body: ingressService }),
    () => apps.createNamespacedDeployment({ namespace, body: ingressDeployment }),
  ];
  for (const step of steps) await step().catch((e: unknown) => { if (!exists(e)) throw e; });
}
