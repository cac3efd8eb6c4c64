// The controller as main.ts wires it (flags from a command line, IngressController + buildFromSnapshot +
// RuntimeNginxSide, the /healthz and /metrics port), against the in-process apiserver, with real nginx
// on a loopback address and high ports, its state in a temp dir. Objects go in through the API with
// client-node's typed clients; traffic is real HTTP to nginx.
//
// Backends: the apiserver refuses loopback addresses in EndpointSlices ("may not be in the loopback
// range (127.0.0.0/8, ::1/128)", as kube-apiserver does), so the echo backends listen on the host's own
// non-loopback IPv4 address, one port each; traffic to it never leaves the machine.
//
// Two transparent recorders sit between the controller and its collaborators: one remembers the
// snapshot each model was built from, the other the result of each apply. So a test can wait until the
// controller has synced a snapshot that holds its change, and read whether that sync reloaded nginx,
// without sleeping.

import {
  CoreV1Api, DiscoveryV1Api, NetworkingV1Api, type CoreV1Event, type KubeConfig, type KubernetesObject, type V1Ingress, type V1IngressTLS,
} from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startApiServer } from '../../cluster/test/apiserver-harness.js';
import { IngressController, type ModelBuilder, type NginxSide } from '../src/controller/controller.js';
import { parseFlags, type ControllerFlags } from '../src/controller/flags.js';
import { startControllerHttp } from '../src/controller/http.js';
import { buildFromSnapshot } from '../src/controller/model-builder.js';
import { RuntimeNginxSide } from '../src/controller/nginx-side.js';
import type { Snapshot } from '../src/controller/store.js';
import type { IngressModel } from '../src/model.js';
import { checkNginx } from '../src/nginx/preflight.js';
import { childPids, isAlive, processTitle } from '../src/nginx/processes.js';
import type { NginxRuntime } from '../src/nginx/runtime.js';
import { DEBIAN_MODULES_DIR, renderEnvFor } from '../src/render/env.js';
import { freePort, get, startEchoBackend, type EchoBackend, type Reply } from './nginx-harness.js';

export const CONTROLLER_NAMESPACE = 'ingress-nginx';
export const CONTROLLER_CONFIGMAP = 'ingress-nginx-controller';

/** polls `probe` until it returns something other than undefined / false; fails with `what` at the deadline */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`gave up after ${ms} ms waiting for ${what} (last probe: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** the host's first non-loopback IPv4 address: where the backends listen (see the header) */
export function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('169.254.')) return a.address;
  }
  throw new Error('these tests need a non-loopback IPv4 address on this machine for their backends: the apiserver refuses loopback EndpointSlice addresses, as kube-apiserver does');
}

/** one sample of a Prometheus text exposition, matched by name and a subset of its labels */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

export interface SyncRecord {
  /** what the model was built from */
  snapshot: Snapshot;
  model: IngressModel;
  result: { reloaded: boolean; pushedBackends: boolean; error?: string };
}

/** a self-signed certificate and key (PEM) for `host`, with its SHA-256 fingerprint as node:tls reports it */
export async function tlsPair(host: string): Promise<{ crt: string; key: string; fingerprint256: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'svclab-cert-'));
  try {
    await execa('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${host}`,
      '-addext', `subjectAltName=DNS:${host}`, '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'),
    ]);
    const crt = await readFile(join(dir, 'c.pem'), 'utf8');
    return { crt, key: await readFile(join(dir, 'k.pem'), 'utf8'), fingerprint256: new X509Certificate(crt).fingerprint256 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface LabOptions {
  /** loopback address nginx's public listeners bind (one per test file, so files never share a listener) */
  address: string;
  /** the namespace the test's Services, EndpointSlices and Ingresses live in */
  namespace: string;
  /** more controller command-line flags, e.g. `--publish-status-address=203.0.113.7` */
  args?: string[];
  /** start the controller now (default); false leaves it to lab.start() */
  start?: boolean;
  /** the KubeConfig the controller gets, made from the test's (e.g. one that slows some requests down) */
  controllerKubeConfig?: (kc: KubeConfig) => KubeConfig;
}

export type ControllerLab = Awaited<ReturnType<typeof startControllerLab>>;

export async function startControllerLab(o: LabOptions) {
  // fails the file with the packages to install, never skips
  await checkNginx('nginx', DEBIAN_MODULES_DIR);
  const backendAddress = hostAddress();

  const api = await startApiServer();
  const { kc } = api;
  const core = kc.makeApiClient(CoreV1Api);
  const net = kc.makeApiClient(NetworkingV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const ns = o.namespace;
  try {
    for (const name of [ns, CONTROLLER_NAMESPACE]) await core.createNamespace({ body: { metadata: { name } } });
    await net.createIngressClass({ body: { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } } });
    // the controller's ConfigMap: short worker shutdown so stop() is quick, two workers on any machine
    await core.createNamespacedConfigMap({
      namespace: CONTROLLER_NAMESPACE,
      body: { metadata: { name: CONTROLLER_CONFIGMAP }, data: { 'worker-shutdown-timeout': '10s', 'worker-processes': '2' } },
    });
  } catch (e) {
    await api.close();
    throw e;
  }

  const stateDir = await mkdtemp(join(tmpdir(), 'svclab-controller-'));
  const [http, https, status, defaultBackend] = [await freePort(o.address), await freePort(o.address), await freePort('127.0.0.1'), await freePort('127.0.0.1')];
  const flags: ControllerFlags = parseFlags([
    `--http-port=${http}`, `--https-port=${https}`, `--state-dir=${stateDir}`,
    `--configmap=${CONTROLLER_NAMESPACE}/${CONTROLLER_CONFIGMAP}`, '--update-status=false',
    ...(o.args ?? []),
  ], {});
  // main.ts's render environment, on our address and free ports instead of *:80, :443, :10246, :8181
  const env = renderEnvFor(flags.stateDir, { bind: [o.address], ports: { http: flags.httpPort, https: flags.httpsPort, status, defaultBackend }, workerConnections: 1024 });

  const logs: string[] = [];
  const log = (m: string) => { logs.push(m); if (process.env.SVCLAB_TEST_LOG) process.stderr.write(`controller: ${m}\n`); };
  const side = new RuntimeNginxSide(env, (line) => log(`nginx: ${line}`));

  const syncs: SyncRecord[] = [];
  let built: { snapshot: Snapshot; model: IngressModel } | undefined;
  const builder: ModelBuilder = (snapshot, f, settings) => {
    const out = buildFromSnapshot(snapshot, f, settings);
    built = { snapshot, model: out.model };
    return out;
  };
  // syncOnce calls apply() right after build(), in the same tick: `built` is this apply's snapshot
  const recording: NginxSide = {
    start: (model, s) => side.start(model, s),
    apply: async (model, settings) => {
      const from = built!;
      const result = await side.apply(model, settings);
      syncs.push({ snapshot: from.snapshot, model: from.model, result });
      return result;
    },
    requestCounts: () => side.requestCounts(),
    configHash: () => side.configHash(),
    stop: () => side.stop(),
  };

  const controller = new IngressController(o.controllerKubeConfig?.(kc) ?? kc, flags, recording, builder, undefined, log);
  // main.ts's handlers; port 0 instead of --healthz-port so files never collide
  const server: Server = await startControllerHttp(0, controller, log);
  const controllerPort = (server.address() as AddressInfo).port;

  const backends: EchoBackend[] = [];
  let barriers = 0;
  const seenPids = new Set<number>();
  const runtime: NginxRuntime = side.runtime;
  const notePids = () => {
    const pid = runtime.pid;
    if (pid === undefined) return;
    seenPids.add(pid);
    for (const p of childPids(pid)) seenPids.add(p);
  };

  const lab = {
    api, kc, core, net, discovery, ns, flags, env, controller, side, runtime, logs, syncs,
    address: o.address, httpPort: http, httpsPort: https, controllerPort, backendAddress,

    async start(): Promise<void> {
      await controller.start();
      notePids();
    },

    /** GET through nginx's http port with this Host */
    get(host: string, path = '/'): Promise<Reply> {
      return get(o.address, http, { host, path });
    },

    /** GET on the controller's own port (/healthz, /metrics) */
    async controllerGet(path: string): Promise<{ status: number; body: string }> {
      const r = await get('127.0.0.1', controllerPort, { host: 'localhost', path });
      return { status: r.status, body: r.body };
    },

    async metrics(): Promise<string> {
      const r = await lab.controllerGet('/metrics');
      if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${r.body}`);
      return r.body;
    },

    async backend(name: string): Promise<EchoBackend> {
      const b = await startEchoBackend(name, backendAddress);
      backends.push(b);
      return b;
    },

    /** a selector-less Service (port 80 "http" → 8080) and its hand-written EndpointSlice pointing at `b` */
    async service(name: string, b?: EchoBackend): Promise<KubernetesObject | undefined> {
      await core.createNamespacedService({ namespace: ns, body: { metadata: { name }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] } } });
      return b ? discovery.createNamespacedEndpointSlice({ namespace: ns, body: lab.slice(name, b) }) : undefined;
    },

    slice(service: string, b: EchoBackend, resourceVersion?: string) {
      return {
        metadata: { name: `${service}-1`, namespace: ns, labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'svclab-test' }, ...(resourceVersion ? { resourceVersion } : {}) },
        addressType: 'IPv4',
        endpoints: [{ addresses: [b.address], conditions: { ready: true } }],
        ports: [{ name: 'http', port: b.port, protocol: 'TCP' }],
      };
    },

    /** replaces the Service's EndpointSlice: its one endpoint is now `b` */
    async moveEndpoints(service: string, b: EchoBackend): Promise<KubernetesObject> {
      const cur = await discovery.readNamespacedEndpointSlice({ namespace: ns, name: `${service}-1` });
      return discovery.replaceNamespacedEndpointSlice({ namespace: ns, name: `${service}-1`, body: lab.slice(service, b, cur.metadata?.resourceVersion) });
    },

    ingressBody(name: string, host: string, paths: Array<{ path: string; service: string }>, extra: { annotations?: Record<string, string>; tls?: V1IngressTLS[] } = {}): V1Ingress {
      return {
        metadata: { name, namespace: ns, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
        spec: {
          ingressClassName: 'nginx',
          ...(extra.tls ? { tls: extra.tls } : {}),
          rules: [{ host, http: { paths: paths.map((p) => ({ path: p.path, pathType: 'Prefix', backend: { service: { name: p.service, port: { number: 80 } } } })) } }],
        },
      };
    },

    createIngress(body: V1Ingress): Promise<V1Ingress> {
      return net.createNamespacedIngress({ namespace: ns, body });
    },

    /** the first sync after `since` (an index into syncs) whose snapshot satisfies `pred` */
    syncedWith(what: string, pred: (s: Snapshot) => boolean, since = 0): Promise<SyncRecord> {
      return until(`a sync of ${what}`, () => syncs.slice(since).find((r) => pred(r.snapshot)));
    },

    /** the first sync after `since` whose snapshot holds `obj` at its resourceVersion (or a later one) */
    syncedObject(obj: KubernetesObject, since = 0): Promise<SyncRecord> {
      const { uid, resourceVersion } = obj.metadata ?? {};
      const holds = (s: Snapshot) => [...s.ingresses, ...s.services, ...s.endpointSlices, ...s.secrets, ...s.ingressClasses, ...(s.configMap ? [s.configMap] : [])]
        .some((x) => x.metadata?.uid === uid && Number(x.metadata?.resourceVersion) >= Number(resourceVersion));
      return lab.syncedWith(`${obj.kind ?? 'object'} ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name} at resourceVersion ${resourceVersion}`, holds, since);
    },

    /**
     * A change nothing depends on (a new Opaque Secret no Ingress names), and the sync that saw it:
     * every change made before is synced once this resolves.
     */
    async barrier(): Promise<SyncRecord> {
      const since = syncs.length;
      const secret = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: `barrier-${++barriers}` }, type: 'Opaque', data: { x: 'eA==' } } });
      return lab.syncedObject(secret, since);
    },

    /**
     * until a request for host+path answers `status` (and, for 200, from `backend`). nginx may answer
     * before the sync that made it so has finished its bookkeeping: barrier() before reading counters.
     */
    served(host: string, status: number, backend?: string, path = '/'): Promise<Reply> {
      return until(`${host}${path} to answer ${status}${backend ? ` from ${backend}` : ''}`, async () => {
        const r = await lab.get(host, path);
        return r.status === status && (backend === undefined || r.json?.backend === backend) && r;
      });
    },

    /**
     * A client asking for host+path back-to-back while `action` runs, until it has had `settled`
     * answers from `backend` in a row. Resolves to what it got, in order, runs collapsed, e.g.
     * "404×31 200:web×20".
     */
    async answersWhile(host: string, action: () => Promise<unknown>, backend: string, path = '/', settled = 20): Promise<string> {
      const seen: string[] = [];
      let streak = 0;
      let asking = true;
      const client = (async () => {
        while (asking) {
          const answer = await lab.get(host, path).then(
            (r) => (r.json?.backend ? `${r.status}:${r.json.backend}` : String(r.status)),
            (e: NodeJS.ErrnoException) => e.code ?? e.message,
          );
          seen.push(answer);
          streak = answer === `200:${backend}` ? streak + 1 : 0;
        }
      })();
      try {
        await action();
        await until(`${settled} answers in a row from ${backend} for ${host}${path}`, () => streak >= settled);
      } finally {
        asking = false;
        await client;
      }
      const runs: string[] = [];
      for (const a of seen) {
        const last = runs[runs.length - 1];
        if (last?.startsWith(`${a}×`)) runs[runs.length - 1] = `${a}×${Number(last.slice(a.length + 1)) + 1}`;
        else runs.push(`${a}×1`);
      }
      return runs.join(' ');
    },

    /**
     * The last sync is done and nginx's old workers are gone: every connection from now on reaches a
     * worker of the running configuration (while old workers wind down after a reload, they may still
     * take a connection, and answer as the old configuration did).
     */
    async settled(): Promise<void> {
      await lab.barrier();
      const want = typeof env.workerProcesses === 'number' ? env.workerProcesses : undefined;
      await until('nginx\'s old workers to exit', () => {
        const pid = runtime.pid;
        if (pid === undefined) return false;
        const kids = childPids(pid);
        return kids.length > 0 && kids.every((p) => processTitle(p) === 'nginx: worker process') && (want === undefined || kids.length === want);
      });
    },

    /** Events in the test namespace about Ingress `name` */
    async eventsOf(name: string): Promise<CoreV1Event[]> {
      const list = await core.listNamespacedEvent({ namespace: ns });
      return list.items.filter((e) => e.involvedObject.kind === 'Ingress' && e.involvedObject.name === name);
    },

    /** stops everything; fails when an nginx process of this lab survives */
    async close(): Promise<void> {
      notePids();
      const problems: string[] = [];
      await controller.stop().catch((e: Error) => problems.push(`controller.stop(): ${e.message}`));
      await new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
      for (const b of backends) await b.close();
      await api.close();
      await rm(stateDir, { recursive: true, force: true });
      const alive = [...seenPids].filter(isAlive);
      if (alive.length) problems.push(`nginx processes still running after stop: ${alive.join(', ')}`);
      if (problems.length) throw new Error(problems.join('; '));
    },
  };
  if (o.start !== false) {
    try {
      await lab.start();
    } catch (e) {
      await lab.close().catch(() => undefined);
      throw e;
    }
  }
  return lab;
}
