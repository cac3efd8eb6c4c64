// The embedded cluster: `lab up` runs it in a detached daemon; a lab uses that one when it is up,
// else starts one in-process for the run and stops it afterwards.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { alive, bundled, cleanupCluster, clusterDir, readState, startCluster, validateClusterName } from '@svclab/cluster';
import { loadKubeConfig } from '@svclab/kube';
import { execa } from 'execa';
import type { Requirement } from '../doctor/checks.js';
import { ensurePrerequisites } from '../doctor/doctor.js';
import type { ClusterInfo } from '../scenario.js';
import type { Driver, LabCluster } from './driver.js';
import { nodeAddresses } from './nodes.js';


/** the embedded cluster is built here: namespaces, veths, a bridge, iptables, the pods' real nginx, its CA */
const EMBEDDED_NEEDS: Requirement[] = ['privileges', 'util-linux', 'netns', 'veth-bridge', 'iptables', 'nginx', 'openssl'];

/** The embedded cluster's client host is the `<cluster>-client` namespace on the nodes' bridge. */
function clientHostOf(name: string): ClusterInfo['onClientHost'] {
  return async (script) => {
    const r = await execa('nsenter', [`--net=/run/netns/${name}-client`, '--', 'sh', '-c', script], { reject: false });
    return { stdout: String(r.stdout), exitCode: r.exitCode ?? -1 };
  };
}

/** An embedded node is the network namespace named after it, where its kube-proxy writes its rules. */
async function onEmbeddedNode(node: string, script: string) {
  const r = await execa('nsenter', [`--net=/run/netns/${node}`, '--', 'sh', '-c', script], { reject: false, all: true });
  return { stdout: String(r.all ?? ''), exitCode: r.exitCode ?? -1 };
}

/** A kind node is a container. */
async function onKindNode(node: string, script: string) {
  const r = await execa('docker', ['exec', node, 'sh', '-c', script], { reject: false, all: true });
  return { stdout: String(r.all ?? ''), exitCode: r.exitCode ?? -1 };
}

/** A cluster known only by its kubeconfig: we have no shell on its nodes. */
async function noNodeShell(node: string): Promise<never> {
  throw new Error(`this step reads rules on node ${node}, which needs a shell there: run it with the embedded cluster or --driver kind`);
}

/** Elsewhere (kind, a real cluster) the machine running the lab is the client host. */
async function onThisHost(script: string) {
  const r = await execa('sh', ['-c', script], { reject: false });
  return { stdout: String(r.stdout), exitCode: r.exitCode ?? -1 };
}

export function runningCluster(name: string) {
  const s = readState(name);
  return s && alive(s.pid) ? s : undefined;
}

/** Starts the cluster daemon detached from this process and waits until it is ready. */
export async function up(name: string, opts: { proxyMode?: string; addons?: string[]; log?: (m: string) => void } = {}): Promise<{ kubeconfig: string; pid: number }> {
  validateClusterName(name);
  const running = runningCluster(name);
  if (running) throw new Error(`cluster "${name}" is already up (pid ${running.pid}); \`pnpm lab down\` stops it`);
  await ensurePrerequisites([...EMBEDDED_NEEDS, ...(opts.addons?.includes('ingress-nginx') ? ['nginx-lua' as const] : [])], 'the embedded cluster');
  await cleanupCluster(name);
  await mkdir(clusterDir(name), { recursive: true });
  const logPath = join(clusterDir(name), '..', `${name}-daemon.log`);
  const logFd = openSync(logPath, 'w');
  // node's spawn rather than execa: the daemon must outlive us, writing straight to its log file
  const daemon = await bundled('cluster-daemon');
  const child = spawn(process.execPath, [daemon, '--name', name, '--proxy-mode', opts.proxyMode ?? 'iptables', '--addons', (opts.addons ?? []).join(',')], {
    detached: true, stdio: ['ignore', logFd, logFd, 'ipc'],
  });
  closeSync(logFd);
  const ready = await new Promise<{ kubeconfig: string }>((resolve, reject) => {
    child.on('message', (m: { step?: string; ready?: { kubeconfig: string }; error?: string }) => {
      if (m.step) opts.log?.(m.step);
      if (m.ready) resolve(m.ready);
      if (m.error) reject(new Error(`${m.error} (log: ${logPath})`));
    });
    child.once('exit', (code, signal) => reject(new Error(`the cluster daemon exited (${code ?? signal}) before it was ready; log: ${logPath}`)));
  });
  child.disconnect();
  child.unref();
  return { kubeconfig: ready.kubeconfig, pid: child.pid! };
}

export function embeddedDriver(name: string, opts: { proxyMode?: string } = {}): Driver {
  return {
    name: 'embedded',
    needs: EMBEDDED_NEEDS,
    async acquire(log) {
      const running = runningCluster(name);
      if (running) {
        const kc = loadKubeConfig(running.kubeconfig);
        return { kc, info: { name, driver: 'embedded', kubeconfigPath: running.kubeconfig, nodes: await nodeAddresses(kc), onClientHost: clientHostOf(name), onNode: onEmbeddedNode }, release: async () => undefined } satisfies LabCluster;
      }
      const c = await startCluster({ name, proxyMode: opts.proxyMode, log });
      const stopOnSignal = () => { void c.stop().finally(() => process.exit(130)); };
      process.once('SIGINT', stopOnSignal);
      process.once('SIGTERM', stopOnSignal);
      return {
        kc: c.kubeConfig,
        info: { name, driver: 'embedded', kubeconfigPath: c.kubeconfigPath, nodes: c.layout.nodes.map((n) => ({ name: n.name, ip: n.ip })), onClientHost: clientHostOf(name), onNode: onEmbeddedNode },
        release: async () => { process.off('SIGINT', stopOnSignal); process.off('SIGTERM', stopOnSignal); await c.stop(); },
      };
    },
  };
}

/** Any cluster a kubeconfig points at (a real one, k3s, a kind cluster made elsewhere). */
export function kubeconfigDriver(path: string): Driver {
  return {
    name: 'kubeconfig',
    needs: [],
    async acquire() {
      const kc = loadKubeConfig(path);
      return { kc, info: { name: kc.getCurrentContext(), driver: 'kubeconfig', kubeconfigPath: path, nodes: await nodeAddresses(kc), onClientHost: onThisHost, onNode: noNodeShell }, release: async () => undefined };
    },
  };
}

/** kind: needs a Docker engine and the kind binary; says so plainly when they are not there. */
export function kindDriver(name: string): Driver {
  return {
    name: 'kind',
    needs: [], // Docker and kind are checked by acquire(), with their own advice
    async acquire(log) {
      const docker = await execa('docker', ['info', '--format', '{{.ServerVersion}}'], { reject: false });
      if (docker.exitCode !== 0) {
        throw new Error(`the kind driver needs a running Docker engine, and \`docker info\` failed here: ${String(docker.stderr || docker.shortMessage || "").split('\n')[0]}. Use the embedded driver (the default) on this machine.`);
      }
      const kind = await execa('kind', ['version'], { reject: false });
      if (kind.exitCode !== 0) throw new Error('the kind driver needs the `kind` binary on the PATH (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)');
      const clusters = String((await execa('kind', ['get', 'clusters'])).stdout).split('\n');
      let created = false;
      if (!clusters.includes(name)) { log(`Creating kind cluster "${name}"`); await execa('kind', ['create', 'cluster', '--name', name, '--wait', '120s']); created = true; }
      const path = join(clusterDir(name), 'kind-kubeconfig');
      await mkdir(dirname(path), { recursive: true });
      await execa('kind', ['export', 'kubeconfig', '--name', name, '--kubeconfig', path]);
      const kc = loadKubeConfig(path);
      return { kc, info: { name, driver: 'kind', kubeconfigPath: path, nodes: await nodeAddresses(kc), onClientHost: onThisHost, onNode: onKindNode }, release: async () => { if (created) await execa('kind', ['delete', 'cluster', '--name', name]); } };
    },
  };
}
