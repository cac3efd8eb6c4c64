// The node agent (a small kubelet): registers its Node, watches the pods bound to it, runs each in a
// sandbox with its containers, and reports status (podIP, hostIP, phase, conditions, containerStatuses).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CoordinationV1Api, CoreV1Api, type KubeConfig, type V1ContainerStatus, type V1Pod, type V1PodCondition } from '@kubernetes/client-node';
import { startInformer, WorkQueue, type RunningInformer } from '@svclab/kube';
import type { KubeletApi, LogOptions, StreamOptions, StreamSession } from '../apiserver/kubelet.js';
import type { KubeObject } from '../apiserver/types.js';
import { eventRecorder, type Recorder } from '../controllers/events.js';
import { findImage, pullErrorMessage } from '../images/catalogue.js';
import type { NodeNet } from '../network/fabric.js';
import { startContainer, StartError, stopContainer, type RunningContainer } from './container.js';
import { waitListening } from './listening.js';
import { nodeObject } from './node-object.js';
import { PullBackoff } from './image-pull.js';
import { podEnv, serviceEnv } from './pod-env.js';
import { ProbeWorker, type ProbeTarget } from './probes.js';
import { createSandbox, type Sandbox } from './sandbox.js';
import { attachToContainer, execInContainer } from './streams.js';
import { readCriLog, tailOffset } from './cri-log.js';
import { podMounts, type Credentials, type MountPointRecorder } from './volumes.js';


interface ContainerRuntime {
  name: string; image: string; dir: string; running?: RunningContainer; status: V1ContainerStatus;
  /** this run has had an attach already (a stdinOnce container replays its output to the first one only) */
  attached?: boolean;
  /** this run's readiness and liveness probes */
  probes?: ProbeWorker[];
  /** the environment this run started with (kubectl exec and exec probes get the same) */
  env?: Record<string, string>;
}

interface PodRuntime {
  uid: string;
  pod: V1Pod;
  dir: string;
  sandbox?: Sandbox;
  containers: ContainerRuntime[];
  deleted: boolean;
}

export interface NodeAgentOptions {
  cluster: string;
  node: NodeNet;
  controlPlane: boolean;
  kubeconfig: KubeConfig;
  stateDir: string;
  credentials: Credentials;
  recordMountPoint: MountPointRecorder;
}

export class NodeAgent implements KubeletApi {
  private readonly core: CoreV1Api;
  private readonly pods = new Map<string, PodRuntime>();
  private readonly latest = new Map<string, V1Pod>();
  private readonly usedIPs = new Set<number>();
  private informer?: RunningInformer<V1Pod>;
  private readonly queue = new WorkQueue((uid) => this.sync(uid), (uid, e) => this.log(`sync of pod ${uid} failed: ${(e as Error).message}`));

  private readonly events: Recorder;
  private readonly pullBackoff = new PullBackoff((uid) => this.queue.add(uid));

  private readonly coordination: CoordinationV1Api;

  constructor(private readonly o: NodeAgentOptions) {
    this.core = o.kubeconfig.makeApiClient(CoreV1Api);
    this.coordination = o.kubeconfig.makeApiClient(CoordinationV1Api);
    this.events = eventRecorder(this.core, 'kubelet', o.node.name);
  }

  private log(msg: string): void { process.stderr.write(`[kubelet ${this.o.node.name}] ${msg}\n`); }

  private heartbeat?: NodeJS.Timeout;

  /** The node's heartbeat, as kubelet's: a Lease in kube-node-lease renewed every 10 s (40 s duration). */
  private async renewLease(): Promise<void> {
    const name = this.o.node.name;
    const body = { metadata: { name, namespace: 'kube-node-lease', ownerReferences: this.nodeRef }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace('Z', '000Z') } };
    const cur = await this.coordination.readNamespacedLease({ name, namespace: 'kube-node-lease' }).catch(() => undefined);
    if (!cur) await this.coordination.createNamespacedLease({ namespace: 'kube-node-lease', body: body as never }).catch(() => undefined);
    else await this.coordination.replaceNamespacedLease({ name, namespace: 'kube-node-lease', body: { ...body, metadata: { ...body.metadata, resourceVersion: cur.metadata!.resourceVersion } } as never }).catch(() => undefined);
  }

  private nodeRef?: Array<{ apiVersion: string; kind: string; name: string; uid: string }>;

  async start(): Promise<void> {
    const node = await this.core.createNode({ body: nodeObject(this.o.node, this.o.controlPlane) });
    this.nodeRef = [{ apiVersion: 'v1', kind: 'Node', name: node.metadata!.name!, uid: node.metadata!.uid! }];
    await this.renewLease();
    this.heartbeat = setInterval(() => void this.renewLease(), 10_000);
    this.informer = await startInformer<V1Pod>(this.o.kubeconfig, {
      path: '/api/v1/pods',
      fieldSelector: `spec.nodeName=${this.o.node.name}`,
      list: () => this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${this.o.node.name}` }),
    }, {
      add: (p) => this.enqueue(p),
      update: (p) => this.enqueue(p),
      delete: (p) => { const uid = p.metadata!.uid!; this.latest.delete(uid); this.queue.add(uid); },
    });
  }

  private enqueue(p: V1Pod): void {
    this.latest.set(p.metadata!.uid!, p);
    this.queue.add(p.metadata!.uid!);
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.informer?.stop();
    await Promise.all([...this.pods.values()].map((rt) => this.teardown(rt)));
  }

  private async sync(uid: string): Promise<void> {
    const pod = this.latest.get(uid);
    const rt = this.pods.get(uid);
    if (!pod) { this.pullBackoff.clear(uid); if (rt) await this.teardown(rt); return; }
    if (pod.metadata!.deletionTimestamp) { this.pullBackoff.clear(uid); await this.terminate(pod, rt); return; }
    if (rt) { rt.pod = pod; return; }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    await this.run(pod);
  }

  /** the Service variables a container of `pod` starts with (kubelet reads them from its Service lister) */
  private async serviceEnvFor(pod: V1Pod): Promise<Record<string, string>> {
    const [inNamespace, kubernetes] = await Promise.all([
      pod.spec!.enableServiceLinks === false ? [] : this.core.listNamespacedService({ namespace: pod.metadata!.namespace! }).then((l) => l.items),
      this.core.readNamespacedService({ name: 'kubernetes', namespace: 'default' }).catch(() => undefined),
    ]);
    return serviceEnv(pod, inNamespace, kubernetes);
  }

  private allocateIP(): string {
    for (let i = 2; i < 255; i++) if (!this.usedIPs.has(i)) { this.usedIPs.add(i); return this.o.node.podCIDR.replace(/\.0\/24$/, `.${i}`); }
    throw new Error(`no free pod IP left in ${this.o.node.podCIDR}`);
  }

  private releaseIP(ip: string): void { this.usedIPs.delete(Number(ip.split('.')[3])); }

  /** A container's image is not in the catalogue: ErrImagePull, then ImagePullBackOff until the next attempt. */
  private async pullFailed(pod: V1Pod, image: string): Promise<void> {
    const uid = pod.metadata!.uid!;
    const state = this.pullBackoff.state(uid);
    const reported = pod.status?.containerStatuses?.find((c) => c.image === image)?.state?.waiting?.reason;
    // between the pull and the back-off, and once the back-off is reported, the pod's own status updates change nothing
    if (state === 'error-shown' || (state === 'back-off' && reported === 'ImagePullBackOff')) return;
    const backingOff = state === 'back-off';
    if (backingOff) {
      this.events.event('Pod', pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      this.events.event('Pod', pod, 'Warning', 'Failed', 'Error: ImagePullBackOff');
    } else {
      this.events.event('Pod', pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
      this.events.event('Pod', pod, 'Warning', 'Failed', pullErrorMessage(image));
      this.events.event('Pod', pod, 'Warning', 'Failed', 'Error: ErrImagePull');
      this.pullBackoff.failed(uid);
    }
    await this.setStatus(pod, (s) => {
      s.containerStatuses = pod.spec!.containers.map((c) => ({
        name: c.name, image: c.image!, imageID: '', ready: false, restartCount: 0, started: false,
        state: { waiting: findImage(c.image!) ? { reason: 'ContainerCreating' }
          : backingOff ? { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` }
            : { reason: 'ErrImagePull', message: pullErrorMessage(c.image!) } },
      }));
    });
  }

  private async run(pod: V1Pod): Promise<void> {
    const uid = pod.metadata!.uid!;
    const missing = pod.spec!.containers.find((c) => !findImage(c.image!));
    if (missing) return this.pullFailed(pod, missing.image!);
    this.pullBackoff.clear(uid);
    const dir = join(this.o.stateDir, 'pods', uid);
    const services = await this.serviceEnvFor(pod);
    const rt: PodRuntime = { uid, pod, dir, containers: [], deleted: false };
    this.pods.set(uid, rt);
    const hostNetwork = !!pod.spec!.hostNetwork;
    const ip = hostNetwork ? this.o.node.ip : this.allocateIP();
    const privateDirs = [...new Set(pod.spec!.containers.flatMap((c) => findImage(c.image!)!.privateDirs ?? []))];
    const mounts = await podMounts(pod, dir, this.core, this.o.credentials, this.o.recordMountPoint, privateDirs);
    rt.sandbox = await createSandbox({ cluster: this.o.cluster, node: this.o.node, uid, hostname: hostNetwork ? this.o.node.name : pod.metadata!.name!, hostNetwork, ip, mounts });
    if (rt.deleted) { await this.teardown(rt); return; }
    const env = { pod, ip, hostIP: this.o.node.ip, services };
    rt.containers = pod.spec!.containers.map((c) => ({
      name: c.name, image: c.image!, dir: join(dir, c.name),
      status: { name: c.name, image: c.image!, imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'ContainerCreating' } } },
    }));
    await Promise.all(rt.containers.map((_, i) => this.startOne(rt, i, podEnv(env, pod.spec!.containers[i]!))));
    await this.reportRunning(rt);
  }

  private async startOne(rt: PodRuntime, index: number, env: Record<string, string>): Promise<void> {
    const spec = rt.pod.spec!.containers[index]!;
    const c = rt.containers[index]!;
    const image = findImage(spec.image!)!;
    c.env = env;
    this.events.event('Pod', rt.pod, 'Normal', 'Pulled', `Container image "${spec.image}" already present on machine`);
    try {
      c.running = await startContainer(rt.sandbox!.pausePid, c.dir, rt.pod.metadata!.name!, {
        name: spec.name, image, command: spec.command, args: spec.args, env, workingDir: spec.workingDir, stdin: !!spec.stdin,
      });
      c.attached = false;
      this.events.event('Pod', rt.pod, 'Normal', 'Created', `Created container: ${spec.name}`);
      this.events.event('Pod', rt.pod, 'Normal', 'Started', `Started container ${spec.name}`);
    } catch (e) {
      const message = e instanceof StartError ? e.message : (e as Error).message;
      this.events.event('Pod', rt.pod, 'Warning', 'Failed', `Error: ${message}`);
      c.status = { ...c.status, started: false, ready: false, state: { terminated: { exitCode: 128, reason: 'StartError', message, startedAt: new Date(0), finishedAt: new Date() } } };
      return;
    }
    const running = c.running;
    let exited = false;
    void running.exited.then((r) => { exited = true; void this.onExit(rt, index, running, r); });
    const ports = [...(image.listens?.({ podName: rt.pod.metadata!.name!, dir: c.dir, env }) ?? [])];
    if (ports.length) await waitListening(rt.sandbox!.pausePid, ports, 10_000, () => !exited);
    if (exited) return;
    // with a readiness probe the container is ready once the probe passes, as kubelet's
    c.status = { ...c.status, started: true, ready: !spec.readinessProbe, containerID: `svclab://${running.process.pid}`, state: { running: { startedAt: new Date(running.startedAt) } } };
    c.probes = this.startProbes(rt, index, running);
  }

  private startProbes(rt: PodRuntime, index: number, running: RunningContainer): ProbeWorker[] {
    const spec = rt.pod.spec!.containers[index]!;
    const c = rt.containers[index]!;
    const target: ProbeTarget = {
      nodeNs: this.o.node.name, podIP: rt.sandbox!.ip, pausePid: rt.sandbox!.pausePid, ports: spec.ports ?? [],
      exec: (command, timeoutMs) => this.execForProbe(rt, c, command, timeoutMs),
    };
    const current = () => c.running === running && !rt.deleted;
    const unhealthy = (kind: string) => (message: string) => { if (current()) this.events.event('Pod', rt.pod, 'Warning', 'Unhealthy', `${kind} probe failed: ${message}`); };
    const workers: ProbeWorker[] = [];
    if (spec.readinessProbe) {
      workers.push(new ProbeWorker('Readiness', spec.readinessProbe, target, (ok) => {
        if (!current()) return;
        c.status = { ...c.status, ready: ok };
        void this.reportRunning(rt);
      }, unhealthy('Readiness')));
    }
    if (spec.livenessProbe) {
      workers.push(new ProbeWorker('Liveness', spec.livenessProbe, target, (ok) => {
        if (ok || !current()) return;
        this.events.event('Pod', rt.pod, 'Normal', 'Killing', `Container ${spec.name} failed liveness probe, will be restarted`);
        const graceS = spec.livenessProbe!.terminationGracePeriodSeconds ?? rt.pod.spec!.terminationGracePeriodSeconds ?? 30;
        void stopContainer(running, graceS * 1000);
      }, unhealthy('Liveness')));
    }
    return workers;
  }

  /** an exec probe: the command in the container, its output, killed after the probe's timeout */
  private async execForProbe(rt: PodRuntime, c: ContainerRuntime, command: string[], timeoutMs: number): Promise<{ exitCode?: number; output: string; error?: string }> {
    if (!rt.sandbox) return { output: '', error: 'the pod has no sandbox' };
    const session = await execInContainer(rt.sandbox.pausePid, findImage(c.image)!, { podName: rt.pod.metadata!.name!, dir: c.dir, env: c.env ?? {} }, command, { stdin: false, tty: false });
    let output = '';
    session.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    session.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
    const timer = setTimeout(() => session.close(), timeoutMs);
    const r = await session.done;
    clearTimeout(timer);
    return { ...r, output };
  }

  private stopProbes(c: ContainerRuntime): void {
    for (const w of c.probes ?? []) w.stop();
    c.probes = undefined;
  }

  private async onExit(rt: PodRuntime, index: number, running: RunningContainer, r: { exitCode: number; finishedAt: string }): Promise<void> {
    if (rt.deleted) return;
    const c = rt.containers[index]!;
    if (c.running !== running) return;
    c.running = undefined;
    this.stopProbes(c);
    c.status = {
      ...c.status, ready: false, started: false,
      state: { terminated: { exitCode: r.exitCode, reason: r.exitCode === 0 ? 'Completed' : 'Error', startedAt: new Date(running.startedAt), finishedAt: new Date(r.finishedAt), containerID: c.status.containerID } },
    };
    const policy = rt.pod.spec!.restartPolicy ?? 'Always';
    if (policy === 'Always' || (policy === 'OnFailure' && r.exitCode !== 0)) {
      // kubelet restarts a container at once the first time; after that CrashLoopBackOff, 10 s doubling up to 5 min
      const restarts = c.status.restartCount ?? 0;
      const delay = restarts === 0 ? 0 : Math.min(10_000 * 2 ** (restarts - 1), 300_000);
      c.status.lastState = c.status.state;
      if (delay > 0) {
        c.status.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${rt.pod.metadata!.name}_${rt.pod.metadata!.namespace}(${rt.uid})` } };
        this.events.event('Pod', rt.pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${rt.pod.metadata!.name}_${rt.pod.metadata!.namespace}(${rt.uid})`);
        await this.reportRunning(rt);
      }
      setTimeout(() => {
        if (rt.deleted) return;
        c.status.restartCount = (c.status.restartCount ?? 0) + 1;
        // a restarted container sees the Services as they are now, as kubelet builds its environment anew
        void this.serviceEnvFor(rt.pod)
          .then((services) => this.startOne(rt, index, podEnv({ pod: rt.pod, ip: rt.sandbox!.ip, hostIP: this.o.node.ip, services }, rt.pod.spec!.containers[index]!)))
          .then(() => this.reportRunning(rt), (e: unknown) => this.log(`restart of ${c.name} in ${rt.pod.metadata!.name} failed: ${(e as Error).message}`));
      }, delay);
      return;
    }
    await this.reportRunning(rt);
  }

  private phase(rt: PodRuntime): string {
    const states = rt.containers.map((c) => c.status.state);
    if (states.every((s) => s?.terminated)) return states.every((s) => s!.terminated!.exitCode === 0) ? 'Succeeded' : 'Failed';
    return 'Running';
  }

  private async reportRunning(rt: PodRuntime): Promise<void> {
    if (rt.deleted) return;
    const phase = this.phase(rt);
    const ready = phase === 'Running' && rt.containers.every((c) => c.status.ready);
    const t = new Date();
    const cond = (type: string, status: boolean, reason?: string): V1PodCondition => ({ type, status: status ? 'True' : 'False', lastTransitionTime: t, ...(reason ? { reason } : {}) });
    await this.setStatus(rt.pod, (s) => {
      s.phase = phase;
      s.hostIP = this.o.node.ip;
      s.hostIPs = [{ ip: this.o.node.ip }];
      s.podIP = rt.sandbox!.ip;
      s.podIPs = [{ ip: rt.sandbox!.ip }];
      s.startTime ??= t;
      s.conditions = [
        cond('PodReadyToStartContainers', true), cond('Initialized', true),
        cond('Ready', ready, ready ? undefined : phase === 'Running' ? 'ContainersNotReady' : 'PodCompleted'),
        cond('ContainersReady', ready, ready ? undefined : phase === 'Running' ? 'ContainersNotReady' : 'PodCompleted'),
        cond('PodScheduled', true),
      ];
      s.containerStatuses = rt.containers.map((c) => c.status);
    });
    if (phase !== 'Running') await this.releaseSandbox(rt);
  }

  /** Read-modify-write of pod status, retried on conflict (the pod may have changed meanwhile). */
  private async setStatus(pod: V1Pod, mutate: (s: NonNullable<V1Pod['status']>) => void): Promise<void> {
    const { name, namespace } = pod.metadata as { name: string; namespace: string };
    for (let attempt = 0; attempt < 10; attempt++) {
      let cur: V1Pod;
      try { cur = await this.core.readNamespacedPod({ name, namespace }); } catch { return; }
      if (cur.metadata!.uid !== pod.metadata!.uid) return;
      cur.status ??= {};
      mutate(cur.status);
      try { await this.core.replaceNamespacedPodStatus({ name, namespace, body: cur }); return; } catch (e) {
        if ((e as { code?: number }).code !== 409) return;
      }
    }
  }

  private async releaseSandbox(rt: PodRuntime): Promise<void> {
    const sb = rt.sandbox;
    if (!sb) return;
    rt.sandbox = undefined;
    await sb.stop();
    if (!rt.pod.spec!.hostNetwork) this.releaseIP(sb.ip);
  }

  /** Graceful deletion: stop the containers within the pod's grace period, then delete it for good. */
  private async terminate(pod: V1Pod, rt: PodRuntime | undefined): Promise<void> {
    if (rt) {
      const graceMs = (pod.metadata!.deletionGracePeriodSeconds ?? 30) * 1000;
      for (const c of rt.containers) if (c.running) this.events.event('Pod', pod, 'Normal', 'Killing', `Stopping container ${c.name}`);
      await this.teardown(rt, graceMs);
    }
    const { name, namespace, uid } = pod.metadata as { name: string; namespace: string; uid: string };
    await this.core.deleteNamespacedPod({ name, namespace, body: { gracePeriodSeconds: 0, preconditions: { uid } } }).catch(() => undefined);
  }

  private async teardown(rt: PodRuntime, graceMs = 2_000): Promise<void> {
    rt.deleted = true;
    this.pods.delete(rt.uid);
    for (const c of rt.containers) this.stopProbes(c);
    await Promise.all(rt.containers.map((c) => (c.running ? stopContainer(c.running, graceMs) : undefined)));
    await this.releaseSandbox(rt);
    await rm(rt.dir, { recursive: true, force: true });
  }

  private container(pod: KubeObject, name?: string): { rt: PodRuntime; c: ContainerRuntime } {
    const rt = this.pods.get(pod.metadata.uid!);
    const c = rt?.containers.find((x) => !name || x.name === name);
    if (!rt || !c) throw new Error(`container "${name ?? ''}" in pod "${pod.metadata.name}" is not available`);
    return { rt, c };
  }

  async logs(pod: KubeObject, opts: LogOptions): Promise<Readable> {
    const { c } = this.container(pod, opts.container);
    // `kubectl logs` interleaves both streams in the order they were written, as kubelet does
    const path = join(c.dir, 'container.log');
    const from = opts.tailLines === undefined ? 0 : await tailOffset(path, opts.tailLines);
    const log = readCriLog(path, from, opts.follow ? c.running?.exited : undefined, true, { since: opts.since, timestamps: opts.timestamps, limitBytes: opts.limitBytes });
    log.stdout.once('close', log.stop);
    return log.stdout;
  }

  async exec(pod: KubeObject, command: string[], opts: StreamOptions): Promise<StreamSession> {
    const { rt, c } = this.container(pod, opts.container);
    if (!c.running || !rt.sandbox) throw new Error(`container ${opts.container} is not running`);
    return execInContainer(rt.sandbox.pausePid, findImage(c.image)!, { podName: rt.pod.metadata!.name!, dir: c.dir, env: c.env ?? {} }, command, opts);
  }

  async attach(pod: KubeObject, opts: StreamOptions): Promise<StreamSession> {
    const { rt, c } = this.container(pod, opts.container);
    if (!c.running) throw new Error(`container ${opts.container} is not running`);
    const spec = rt.pod.spec!.containers[rt.containers.indexOf(c)]!;
    const fromStart = !!spec.stdinOnce && !c.attached;
    c.attached = true;
    return attachToContainer(c.running, { stdin: opts.stdin, fromStart }, !!spec.stdinOnce);
  }
}
