// The embedded cluster: fabric, apiserver, controllers, scheduler, node agents and add-ons, started
// in one process and stopped (or cleaned up after a crash) without leaving anything behind.
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { kubeProxyConfigMap, kubeProxyDaemonSet, kubeProxyServiceAccount } from './addons/kube-proxy.js';
import { corednsDeployment, corednsServiceAccount, kubeDnsService } from './addons/coredns.js';
import { installIngressNginx } from './addons/install-ingress.js';
import { bootstrap } from './apiserver/bootstrap.js';
import { KubeletDirectory } from './apiserver/kubelet.js';
import { Registry } from './apiserver/registry.js';
import { createApiServer } from './apiserver/server.js';
import { Store } from './apiserver/store.js';
import { cleanupCluster, MOUNT_POINTS_FILE } from './cleanup.js';
import { ControllerContext } from './controllers/context.js';
import { startDaemonSetController } from './controllers/daemonset.js';
import { startDeploymentController } from './controllers/deployment.js';
import { startEndpointsController } from './controllers/endpoints.js';
import { startEndpointSliceController } from './controllers/endpointslice.js';
import { startEndpointSliceMirroring } from './controllers/endpointslice-mirroring.js';
import { startReplicaSetController } from './controllers/replicaset.js';
import { kubeConfigFrom, kubeconfigYaml } from './kubeconfig.js';
import { buildFabric, layout, POD_NETWORK, SERVICE_NETWORK, type FabricLayout } from './network/fabric.js';
import { listenInNetns } from './network/netns-listener.js';
import { NodeAgent } from './node/agent.js';
import { makePki } from './pki.js';
import { bundled } from './programs/bundle.js';
import { startScheduler } from './scheduler/scheduler.js';
import { clusterDir, kubeconfigPath, validateClusterName, writeState } from './state.js';

export const SERVICE_CIDR = SERVICE_NETWORK;
export const CLUSTER_CIDR = POD_NETWORK;
export const APISERVER_PORT = 6443;

export interface ClusterOptions {
  name: string;
  workers?: number;
  proxyMode?: string;
  /** add-ons installed after kube-proxy: 'ingress-nginx' */
  addons?: string[];
  log?: (msg: string) => void;
}

export interface RunningCluster {
  name: string;
  layout: FabricLayout;
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  apiserver: string;
  stop(): Promise<void>;
  /** an apiserver restart as its clients see it: connections cut, none accepted for downMs */
  restartApiserver(downMs: number): Promise<void>;
}

/**
 * What clients see of an apiserver restart (the store, like etcd, survives): every connection cut,
 * new ones refused for `downMs`, then served again on the same addresses.
 */
function apiserverOutage(servers: Server[]): (downMs: number) => Promise<void> {
  let down = false;
  for (const s of servers) s.on('connection', (sock: Socket) => { if (down) sock.destroy(); });
  return async (downMs) => {
    down = true;
    for (const s of servers) s.closeAllConnections();
    await new Promise((r) => setTimeout(r, downMs));
    down = false;
  };
}

function listen(server: Server, ...args: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => { server.once('error', reject); (server.listen as (...a: unknown[]) => void)(...args, resolve); });
}

export async function startCluster(o: ClusterOptions): Promise<RunningCluster> {
  const log = o.log ?? (() => undefined);
  validateClusterName(o.name);
  await cleanupCluster(o.name); // whatever a killed predecessor of the same name left
  const dir = clusterDir(o.name);
  await mkdir(dir, { recursive: true });
  const net = layout(o.name, o.workers ?? 2);
  const cp = net.nodes[0]!;
  const token = randomBytes(24).toString('hex');
  const stoppers: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    for (const s of stoppers.reverse()) await Promise.resolve(s()).catch(() => undefined);
    await cleanupCluster(o.name);
  };
  try {
    log('Preparing nodes');
    const [pki] = await Promise.all([
      makePki(join(dir, 'pki'), { dns: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', cp.name, 'localhost'], ips: ['127.0.0.1', '10.96.0.1', cp.ip] }),
      buildFabric(net),
      bundled('kube-proxy'),
      bundled('coredns'),
    ]);

    log('Starting control-plane');
    const registry = new Registry(new Store(), SERVICE_CIDR);
    bootstrap(registry, { ip: cp.ip, port: APISERVER_PORT }, '10.96.0.1');
    const kubelets = new KubeletDirectory();
    const serverOpts = { tls: { key: pki.serverKey, cert: pki.serverCert }, token, registry, kubelets, advertise: `${cp.ip}:${APISERVER_PORT}` };
    const hostServer = createApiServer(serverOpts);
    const nodeServer = createApiServer(serverOpts);
    await Promise.all([listen(hostServer, 0, '127.0.0.1'), listenInNetns(cp.name, cp.ip, APISERVER_PORT).then((h) => listen(nodeServer, h))]);
    stoppers.push(() => { hostServer.close(); hostServer.closeAllConnections(); nodeServer.close(); nodeServer.closeAllConnections(); });
    const outage = apiserverOutage([hostServer, nodeServer]);
    const apiserver = `https://127.0.0.1:${(hostServer.address() as AddressInfo).port}`;
    const kcText = kubeconfigYaml({ cluster: o.name, server: apiserver, caCert: pki.caCert, token });
    await writeFile(kubeconfigPath(o.name), kcText, { mode: 0o600 });
    const kc = kubeConfigFrom(kcText);

    const ctx = new ControllerContext(kc);
    for (const start of [startReplicaSetController, startDeploymentController, startDaemonSetController, startEndpointsController, startEndpointSliceController, startEndpointSliceMirroring, startScheduler]) start(ctx);
    await ctx.start();
    stoppers.push(() => ctx.stop());

    log('Joining nodes');
    const recordMountPoint = (d: string) => appendFile(join(dir, MOUNT_POINTS_FILE), d + '\n');
    const agents = net.nodes.map((node, i) => new NodeAgent({
      cluster: o.name, node, controlPlane: i === 0, kubeconfig: kc, stateDir: dir,
      credentials: { token, caCert: pki.caCert }, recordMountPoint,
    }));
    await Promise.all(agents.map(async (a, i) => { await a.start(); kubelets.register(net.nodes[i]!.name, a); }));
    stoppers.push(() => Promise.all(agents.map((a) => a.stop())).then(() => undefined));

    log('Installing kube-proxy');
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    await core.createNamespacedServiceAccount({ namespace: 'kube-system', body: kubeProxyServiceAccount });
    await core.createNamespacedConfigMap({ namespace: 'kube-system', body: kubeProxyConfigMap({ controlPlaneEndpoint: `https://${cp.ip}:${APISERVER_PORT}`, clusterCIDR: CLUSTER_CIDR, mode: o.proxyMode ?? 'iptables' }) });
    await apps.createNamespacedDaemonSet({ namespace: 'kube-system', body: kubeProxyDaemonSet });
    log('Installing CoreDNS');
    await core.createNamespacedServiceAccount({ namespace: 'kube-system', body: corednsServiceAccount });
    await core.createNamespacedService({ namespace: 'kube-system', body: kubeDnsService });
    await apps.createNamespacedDeployment({ namespace: 'kube-system', body: corednsDeployment });
    for (const addon of o.addons ?? []) {
      if (addon !== 'ingress-nginx') throw new Error(`unknown add-on ${JSON.stringify(addon)} (svclab has: ingress-nginx)`);
      log('Installing ingress-nginx');
      await installIngressNginx(kc);
    }

    await writeState({ cluster: o.name, pid: process.pid, apiserver, kubeconfig: kubeconfigPath(o.name), nodes: net.nodes.map((n) => n.name), startedAt: new Date().toISOString() });
    return { name: o.name, layout: net, kubeconfigPath: kubeconfigPath(o.name), kubeConfig: kc, apiserver, stop, restartApiserver: outage };
  } catch (e) {
    await stop();
    throw e;
  }
}
