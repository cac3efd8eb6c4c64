// The controller's own input path for the security corpus: objects written through a real (in-process)
// Kubernetes API server, read back by the controller's informers (Store), built (buildFromSnapshot),
// rendered, and printed by the real `nginx -T`. Each render gets its own namespace so renders do not
// see each other; a refusal by the API server or the controller is a Rejection with its message.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { execa } from 'execa';
import { readSettings } from '../../src/controller/settings.js';
import { parseFlags } from '../../src/controller/flags.js';
import { buildFromSnapshot } from '../../src/controller/model-builder.js';
import { Store, type Snapshot } from '../../src/controller/store.js';
import type { Rejection } from '../../src/model.js';
import { writeCertificates } from '../../src/nginx/certificate-files.js';
import { ensureDefaultCertificate } from '../../src/nginx/default-certificate.js';
import { prepareStateDir } from '../../src/nginx/state-dir.js';
import { renderEnvFor, type RenderEnv } from '../../src/render/env.js';
import { renderNginxConf } from '../../src/render/nginx-conf.js';
import type { RenderResult } from './check.js';
import type { KubeObject } from './manifests.js';

const apiMessage = (e: unknown) => {
  const body = (e as { body?: unknown }).body;
  const parsed = typeof body === 'string' ? (() => { try { return JSON.parse(body) as { message?: string }; } catch { return undefined; } })() : body as { message?: string } | undefined;
  return (parsed?.message ?? (e as Error).message).split('\n')[0]!;
};

/** the controller's defaults: the flags its Deployment passes change nothing the corpus touches */
export const CONTROLLER_FLAGS = parseFlags([]);

export class ThroughApi {
  private store?: Store;
  private dir = '';
  private env?: RenderEnv;
  private n = 0;
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;

  constructor(private readonly kc: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'svclab-sec-'));
    this.env = renderEnvFor(this.dir, { ports: { http: 18080, https: 18443, status: 18246, defaultBackend: 18181 } });
    await prepareStateDir(this.env);
    await ensureDefaultCertificate(this.env.paths.defaultCertificate);
    this.store = new Store(this.kc, {}, () => undefined);
    await this.store.start();
  }

  async stop(): Promise<void> {
    await this.store?.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** writes the objects in a fresh namespace (unless the value under test is the namespace itself) */
  render = async (objects: KubeObject[]): Promise<RenderResult> => {
    const own = `sec-${++this.n}`;
    const placed = objects.map((o) => structuredClone(o) as KubernetesObject).map((o) => {
      if (o.kind !== 'IngressClass' && o.metadata?.namespace === 'sec') o.metadata.namespace = own;
      return o;
    });
    const namespaces = [...new Set(placed.map((o) => o.metadata?.namespace).filter((ns): ns is string => !!ns))];
    const ingressRef = (o: KubernetesObject) => ({ namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' });
    for (const ns of namespaces) {
      try { await this.core.createNamespace({ body: { metadata: { name: ns } } }); } catch (e) {
        if ((e as { code?: number }).code !== 409) return { ingress: { namespace: ns, name: '' }, reason: `apiserver: ${apiMessage(e)}` };
      }
    }
    const written: KubernetesObject[] = [];
    for (const o of placed) {
      try { written.push(await this.objects.create(o)); } catch (e) {
        if ((e as { code?: number }).code === 409 && o.kind === 'IngressClass') continue; // shared by name, created by an earlier render
        // an Ingress the API server refuses never reaches the controller; a refused Secret or Service is simply absent
        if (o.kind === 'Ingress') return { ingress: ingressRef(o), reason: `apiserver: ${apiMessage(e)}` };
      }
    }
    const snap = await this.snapshotWith(written, namespaces);
    const { model } = buildFromSnapshot(snap, CONTROLLER_FLAGS, readSettings(undefined, () => undefined));
    const refused = model.rejected.find((r: Rejection) => namespaces.includes(r.ingress.namespace));
    if (refused) return refused;
    const conf = renderNginxConf(model, this.env!);
    await writeCertificates(this.env!, model.certificates);
    const file = join(this.dir, `nginx-${this.n}.conf`);
    await writeFile(file, conf);
    const t = await execa('nginx', ['-T', '-q', '-c', file, '-p', `${this.dir}/`], { reject: false });
    await rm(file, { force: true });
    if (t.exitCode !== 0) throw new Error(`nginx -T refused the rendered configuration: ${String(t.stderr).split('\n')[0]}`);
    return String(t.stdout);
  };

  /** the informers' view once it holds every object written, narrowed to this render's namespaces */
  private async snapshotWith(written: KubernetesObject[], namespaces: string[]): Promise<Snapshot> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const snap = this.store!.snapshot();
      const all: KubernetesObject[] = [...snap.ingresses, ...snap.ingressClasses, ...snap.services, ...snap.secrets];
      const seen = new Set(all.map((o) => `${o.metadata?.uid}@${o.metadata?.resourceVersion}`));
      if (written.every((o) => seen.has(`${o.metadata?.uid}@${o.metadata?.resourceVersion}`))) {
        const mine = <T extends KubernetesObject>(xs: T[]) => xs.filter((o) => namespaces.includes(o.metadata?.namespace ?? ''));
        return { ingresses: mine(snap.ingresses), ingressClasses: snap.ingressClasses, services: mine(snap.services), endpointSlices: mine(snap.endpointSlices), secrets: mine(snap.secrets) };
      }
      if (Date.now() > deadline) throw new Error('the informers did not see the written objects within 10 s');
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
