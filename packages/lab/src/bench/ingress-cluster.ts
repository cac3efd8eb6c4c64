// The cluster side of `pnpm bench ingress`: an embedded cluster with the ingress-nginx add-on, two echo
// Deployments (pods "a" and "b") behind one Service whose selector picks a group, an Ingress for the
// host echo.bench, and the facts the figures need about the controller (its pod's namespace, node,
// NodePort, nginx master).
import { readFileSync } from 'node:fs';
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, NetworkingV1Api, type V1Deployment, type V1Ingress, type V1Pod } from '@kubernetes/client-node';
import { cleanupCluster, INGRESS_CONTROLLER, INGRESS_NAMESPACE, listNetns, netnsPids, startCluster, type NodeNet, type RunningCluster } from '@svclab/cluster';
import { execa } from 'execa';
import { waitFor } from '../wait.js';
import type { Guard } from './ingress-guard.js';
import { Probe } from './ingress-probe-client.js';

/** validateClusterName allows [a-z][a-z0-9]{0,11}: no "-", so the bench's prefix is "svb" */
export const CLUSTER = 'svbing';
export const NS = 'bench';
export const HOST = 'echo.bench';
export const SERVICE = 'echo';
export const PORT = 80;
export const REPLICAS = 2;
const CONTROLLER_SELECTOR = 'app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller';

export type Group = 'a' | 'b';

export interface Controller {
  pod: V1Pod;
  podIP: string;
  /** the pod's network namespace (where nginx listens) */
  netns: string;
  node: NodeNet;
  httpNodePort: number;
  nginxMaster: number;
}

export interface BenchCluster {
  cluster: RunningCluster;
  core: CoreV1Api;
  net: NetworkingV1Api;
  controller: Controller;
  /** the echo pods by group: name → IP */
  pods: Record<Group, Array<{ name: string; ip: string; node: string }>>;
  probe: Probe;
  /** the probe and the cluster, stopped */
  stop(): Promise<void>;
}

const sh = (ns: string, cmd: string, args: string[]) => execa('nsenter', [`--net=/run/netns/${ns}`, '--', cmd, ...args], { reject: false });

/** a command in a network namespace, to completion */
export const inNetns = sh;

const echoDeployment = (group: Group): V1Deployment => ({
  metadata: { name: `echo-${group}`, namespace: NS },
  spec: {
    replicas: REPLICAS,
    selector: { matchLabels: { app: 'echo', group } },
    template: {
      metadata: { labels: { app: 'echo', group } },
      spec: { containers: [{ name: 'echo', image: 'amsy810/echo-nginx', ports: [{ containerPort: PORT }] }] },
    },
  },
});

export const ingressFor = (name: string, host: string): V1Ingress => ({
  metadata: { name, namespace: NS },
  spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: SERVICE, port: { number: PORT } } } }] } }] },
});

const isReady = (p: V1Pod) => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !p.metadata?.deletionTimestamp;

async function readyPods(core: CoreV1Api, namespace: string, labelSelector: string, count: number): Promise<V1Pod[]> {
  return waitFor(`${count} ready pods ${labelSelector} in ${namespace}`, async () => {
    const pods = (await core.listNamespacedPod({ namespace, labelSelector })).items.filter((p) => !p.metadata?.deletionTimestamp);
    return pods.length === count && pods.every(isReady) && pods;
  }, 90_000, 100);
}

/** the pod's network namespace: the cluster's namespace holding the pod IP */
async function netnsOf(cluster: string, ip: string): Promise<string> {
  for (const ns of (await listNetns()).filter((n) => n.startsWith(`${cluster}-pod-`))) {
    const r = await execa('ip', ['-n', ns, '-o', '-4', 'addr', 'show'], { reject: false });
    if (r.stdout.includes(` ${ip}/`)) return ns;
  }
  throw new Error(`no network namespace of cluster ${cluster} holds the address ${ip}`);
}

/** the nginx master in a namespace (the controller's nginx: the only master there until we add ours) */
async function nginxMasterIn(ns: string): Promise<number> {
  for (const pid of await netnsPids(ns)) {
    let cmd = '';
    try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' '); } catch { continue; }
    if (cmd.startsWith('nginx: master process')) return pid;
  }
  throw new Error(`no nginx master process in ${ns}`);
}

/**
 * Starts the cluster, the echo workload and the probe. The caller stops them with stop(); a failure on
 * the way stops them here; a signal runs the cleanup registered with `guard`.
 */
export async function startBenchCluster(progress: (s: string) => void, guard: Guard): Promise<BenchCluster> {
  progress(`starting the embedded cluster ${CLUSTER} with the ingress-nginx add-on`);
  // a signal during the start: remove by name whatever is there so far
  const unguardStart = guard(async () => { await cleanupCluster(CLUSTER); });
  const cluster = await startCluster({ name: CLUSTER, addons: ['ingress-nginx'], log: (m) => progress(`  ${m}`) });
  let probe: Probe | undefined;
  const teardown = async () => { probe?.stop(); await cluster.stop(); };
  const unguard = guard(teardown);
  unguardStart();
  const stop = async () => { unguard(); await teardown(); };
  try {
    const kc = cluster.kubeConfig;
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const net = kc.makeApiClient(NetworkingV1Api);

    progress('echo Deployments echo-a and echo-b, Service echo (selects group a), Ingress echo.bench');
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await apps.createNamespacedDeployment({ namespace: NS, body: echoDeployment('a') });
    await apps.createNamespacedDeployment({ namespace: NS, body: echoDeployment('b') });
    await core.createNamespacedService({ namespace: NS, body: { metadata: { name: SERVICE, namespace: NS }, spec: { selector: { app: 'echo', group: 'a' }, ports: [{ port: PORT, targetPort: PORT as never }] } } });
    await net.createNamespacedIngress({ namespace: NS, body: ingressFor('echo', HOST) });

    const [controllerPod] = await readyPods(core, INGRESS_NAMESPACE, CONTROLLER_SELECTOR, 1);
    const pods = { a: await readyPods(core, NS, 'app=echo,group=a', REPLICAS), b: await readyPods(core, NS, 'app=echo,group=b', REPLICAS) };
    const podIP = controllerPod!.status!.podIP!;
    const node = cluster.layout.nodes.find((n) => n.name === controllerPod!.spec!.nodeName)!;
    const netns = await netnsOf(CLUSTER, podIP);
    const svc = await core.readNamespacedService({ name: INGRESS_CONTROLLER, namespace: INGRESS_NAMESPACE });
    const httpNodePort = svc.spec?.ports?.find((p) => p.name === 'http')?.nodePort ?? 0;
    const controller: Controller = { pod: controllerPod!, podIP, netns, node, httpNodePort, nginxMaster: await nginxMasterIn(netns) };

    progress('probe in the client host; waiting until the controller routes echo.bench to the a pods');
    probe = await Probe.start(cluster.layout.client.ns);
    const p = probe;
    await waitFor('echo.bench answered by an a pod through the NodePort', async () => {
      const r = await p.ask<{ status: number; body: string }>({ op: 'get', url: nodeUrl(controller), host: HOST });
      return r.status === 200 && r.body.includes('From=echo-a-');
    }, 30_000, 100);
    const view = (list: V1Pod[]) => list.map((x) => ({ name: x.metadata!.name!, ip: x.status!.podIP!, node: x.spec!.nodeName! }));
    return { cluster, core, net, controller, pods: { a: view(pods.a), b: view(pods.b) }, probe: p, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** the controller's http NodePort on its own node, as the client host reaches it */
export const nodeUrl = (c: Controller, path = '/') => `http://${c.node.ip}:${c.httpNodePort}${path}`;

/** the EndpointSlice addresses of the echo Service (what the controller pushes to Lua) */
export async function serviceEndpoints(b: BenchCluster): Promise<string[]> {
  const discovery = b.cluster.kubeConfig.makeApiClient(DiscoveryV1Api);
  const slices = (await discovery.listNamespacedEndpointSlice({ namespace: NS, labelSelector: `kubernetes.io/service-name=${SERVICE}` })).items;
  return slices.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses)).sort();
}

/** the controller's own /metrics (port 10254), read inside its pod */
export async function controllerMetric(c: Controller, name: string): Promise<number> {
  const r = await sh(c.netns, 'curl', ['-s', '--max-time', '5', 'http://127.0.0.1:10254/metrics']);
  const line = String(r.stdout).split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  if (!line) throw new Error(`the controller's /metrics has no ${name} (curl exit ${r.exitCode})`);
  return Number(line.split(' ').at(-1));
}
