// The ingress controller as the Ingress labs use it: installed as an add-on when the cluster does not
// have it yet (`minikube addons enable ingress`), then its NodePorts and a wait until it routes a host.
import { NetworkingV1Api, type V1Pod } from '@kubernetes/client-node';
import { INGRESS_CONTROLLER, INGRESS_NAMESPACE, installIngressNginx } from '@svclab/cluster';
import { ensurePrerequisites } from './doctor/doctor.js';
import { readyPods } from './pods.js';
import type { LabContext } from './scenario.js';
import { waitFor } from './wait.js';

export interface IngressController { pod: V1Pod; httpNodePort: number; httpsNodePort: number }

const SELECTOR = 'app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller';

export async function ensureIngressNginx(ctx: LabContext): Promise<IngressController> {
  const svc = await ctx.core.readNamespacedService({ name: INGRESS_CONTROLLER, namespace: INGRESS_NAMESPACE }).catch(() => undefined);
  if (!svc && ctx.cluster.driver !== 'embedded') {
    // our add-on runs svclab's controller, which only the embedded cluster's image catalogue has
    throw new Error('this cluster has no ingress-nginx controller (Service ingress-nginx/ingress-nginx-controller); install it first, e.g. on kind: kubectl apply -f https://raw.githubusercontent.com/kubernetes/ingress-nginx/controller-v1.12.1/deploy/static/provider/kind/deploy.yaml');
  }
  // the embedded add-on runs this machine's nginx with its Lua module inside the controller pod
  if (ctx.cluster.driver === 'embedded') await ensurePrerequisites(['nginx-lua']);
  if (!svc) {
    ctx.narrate.say('The cluster has no ingress controller yet: installing the ingress-nginx add-on (namespace ingress-nginx, IngressClass nginx, Deployment and NodePort Service ingress-nginx-controller).');
    await installIngressNginx(ctx.kc);
  }
  const [pod] = await readyPods(ctx, SELECTOR, 1, 60_000, INGRESS_NAMESPACE);
  const ports = (await ctx.core.readNamespacedService({ name: INGRESS_CONTROLLER, namespace: INGRESS_NAMESPACE })).spec?.ports ?? [];
  const nodePort = (name: string) => ports.find((p) => p.name === name)?.nodePort ?? 0;
  return { pod: pod!, httpNodePort: nodePort('http'), httpsNodePort: nodePort('https') };
}

/**
 * Until the controller has taken the Ingress into nginx: it writes status.loadBalancer after the
 * reload is complete (the previous workers no longer accept), so the next request sees the new config.
 */
export async function untilIngressLoaded(ctx: LabContext, name: string, namespace = ctx.namespace, timeoutMs = 20_000): Promise<void> {
  const net = ctx.kc.makeApiClient(NetworkingV1Api);
  await waitFor(`the ingress controller to load Ingress ${namespace}/${name} (its status address)`, async () => {
    const ing = await net.readNamespacedIngress({ name, namespace });
    return (ing.status?.loadBalancer?.ingress?.length ?? 0) > 0;
  }, timeoutMs, 100);
}

/**
 * curl from the client host until the controller routes `host`: three 2xx / 3xx answers in a row
 * (during an nginx reload, old and new workers both answer for a few milliseconds), or the deadline.
 */
export async function untilRouted(ctx: LabContext, url: string, host: string, timeoutMs = 15_000, extra = ''): Promise<string> {
  let streak = 0;
  return waitFor(`the ingress controller to route ${host}`, async () => {
    const r = await ctx.cluster.onClientHost(`curl -s -o /dev/null -w '%{http_code}' --max-time 2 ${extra} -H 'Host: ${host}' ${url}`);
    if (!/^[23]\d\d$/.test(r.stdout)) { streak = 0; throw new Error(`last answer: ${r.stdout || 'none'}`); }
    return ++streak >= 3 && r.stdout;
  }, timeoutMs, 50);
}
