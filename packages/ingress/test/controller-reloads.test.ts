// When the controller reloads nginx, as a user sees it in traffic, in /metrics and in nginx's worker
// processes: an endpoint-only change (the EndpointSlice now names another pod) moves traffic with no
// reload and the same workers, and so does losing every endpoint (503) and getting one back; a config
// change (a new path, a ConfigMap setting) is exactly one reload; a change nothing in nginx.conf
// depends on (a Service label, the controller ConfigMap set to a default value, another ConfigMap, a
// Secret no Ingress names) is no reload at all.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoBackend } from './nginx-harness.js';
import { CONTROLLER_CONFIGMAP, CONTROLLER_NAMESPACE, sample, startControllerLab, until, type ControllerLab } from './controller-harness.js';

const NGINX_ADDR = '127.0.0.63';
const NS = 'app';
const HOST = 'app.example';

describe('controller: reloads only when nginx.conf changes', () => {
  let lab: ControllerLab;
  let a: EchoBackend;
  let b: EchoBackend;
  let v2: EchoBackend;

  const successCounter = async () => sample(await lab.metrics(), 'nginx_ingress_controller_success');
  const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);

  beforeAll(async () => {
    lab = await startControllerLab({ address: NGINX_ADDR, namespace: NS });
    [a, b, v2] = [await lab.backend('a'), await lab.backend('b'), await lab.backend('v2')];
    await lab.service('app', a);
    await lab.service('v2', v2);
    await lab.createIngress(lab.ingressBody('app', HOST, [{ path: '/', service: 'app' }]));
    await lab.served(HOST, 200, 'a');
    await lab.barrier();
  });

  afterAll(async () => {
    await lab?.close();
  });

  it('an endpoint-only change moves traffic to the new backend with no reload: same workers, same config', async () => {
    await lab.settled();
    const pid = lab.runtime.pid;
    const workers = sorted(lab.runtime.workerPids());
    const reloads = lab.runtime.counters.reloads;
    const hash = lab.runtime.counters.configHash;
    const success = await successCounter();
    const dynamic = sample(await lab.metrics(), 'nginx_ingress_controller_dynamic_updates')!;
    expect(workers.length).toBeGreaterThan(0);

    const since = lab.syncs.length;
    const slice = await lab.moveEndpoints('app', b);
    await lab.served(HOST, 200, 'b');
    const sync = await lab.syncedObject(slice, since);
    expect(sync.result).toEqual({ reloaded: false, pushedBackends: true });

    const answers = new Set<string | undefined>();
    for (let i = 0; i < 10; i++) answers.add((await lab.get(HOST)).json?.backend);
    expect([...answers]).toEqual(['b']);
    expect(lab.runtime.counters.reloads).toBe(reloads);
    expect(lab.runtime.counters.configHash).toBe(hash);
    expect(await successCounter()).toBe(success);
    expect(sample(await lab.metrics(), 'nginx_ingress_controller_dynamic_updates')).toBeGreaterThan(dynamic);
    expect(lab.runtime.pid).toBe(pid);
    expect(sorted(lab.runtime.workerPids())).toEqual(workers);
  });

  it('a Service losing all its endpoints answers 503 and getting one back answers again, neither a reload', async () => {
    await lab.settled();
    const reloads = lab.runtime.counters.reloads;
    const workers = sorted(lab.runtime.workerPids());
    await lab.discovery.deleteNamespacedEndpointSlice({ namespace: NS, name: 'app-1' });
    await lab.served(HOST, 503);
    await lab.discovery.createNamespacedEndpointSlice({ namespace: NS, body: lab.slice('app', b) });
    await lab.served(HOST, 200, 'b');
    await lab.barrier();
    expect(lab.runtime.counters.reloads).toBe(reloads);
    expect(sorted(lab.runtime.workerPids())).toEqual(workers);
  });

  it('a new path in the Ingress is exactly one reload', async () => {
    await lab.settled();
    const reloads = lab.runtime.counters.reloads;
    const hash = lab.runtime.counters.configHash;
    const success = (await successCounter())!;
    const workers = lab.runtime.workerPids();
    const since = lab.syncs.length;

    const cur = await lab.net.readNamespacedIngress({ namespace: NS, name: 'app' });
    const wanted = lab.ingressBody('app', HOST, [{ path: '/', service: 'app' }, { path: '/v2', service: 'v2' }]);
    const updated = await lab.net.replaceNamespacedIngress({ namespace: NS, name: 'app', body: { ...cur, spec: wanted.spec } });
    expect((await lab.syncedObject(updated, since)).result.reloaded).toBe(true);
    expect((await lab.served(HOST, 200, 'v2', '/v2/items')).json?.url).toBe('/v2/items');
    expect((await lab.get(HOST, '/')).json?.backend).toBe('b');

    await lab.barrier(); // every sync the change caused is done
    expect(lab.runtime.counters.reloads).toBe(reloads + 1);
    expect(lab.syncs.slice(since).filter((s) => s.result.reloaded)).toHaveLength(1);
    expect(await successCounter()).toBe(success + 1);
    expect(lab.runtime.counters.configHash).not.toBe(hash);
    expect(sample(await lab.metrics(), 'nginx_ingress_controller_config_hash')).toBe(Number.parseInt(lab.runtime.counters.configHash!.slice(0, 12), 16));
    // a reload means new workers; the old ones finish what they were doing and go
    await until('the old workers to be replaced', () => !lab.runtime.workerPids().some((p) => workers.includes(p)));
  });

  it('changes nothing in nginx.conf depends on are no reload: a Service label, a default-valued ConfigMap key, an unused Secret', async () => {
    await lab.settled();
    const reloads = lab.runtime.counters.reloads;
    const success = await successCounter();
    const workers = sorted(lab.runtime.workerPids());

    // a label on the Service the Ingress routes to
    let since = lab.syncs.length;
    const svc = await lab.core.readNamespacedService({ namespace: NS, name: 'app' });
    svc.metadata!.labels = { ...svc.metadata!.labels, team: 'payments' };
    const labelled = await lab.core.replaceNamespacedService({ namespace: NS, name: 'app', body: svc });
    expect((await lab.syncedObject(labelled, since)).result).toEqual({ reloaded: false, pushedBackends: false });

    // the controller's ConfigMap, with a setting written out at its default value
    since = lab.syncs.length;
    const cm = await lab.core.readNamespacedConfigMap({ namespace: CONTROLLER_NAMESPACE, name: CONTROLLER_CONFIGMAP });
    cm.data = { ...cm.data, 'proxy-body-size': '1m' };
    const edited = await lab.core.replaceNamespacedConfigMap({ namespace: CONTROLLER_NAMESPACE, name: CONTROLLER_CONFIGMAP, body: cm });
    expect((await lab.syncedObject(edited, since)).result).toEqual({ reloaded: false, pushedBackends: false });

    // another ConfigMap next to the controller's, with a value that would change nginx.conf if it were read
    await lab.core.createNamespacedConfigMap({ namespace: CONTROLLER_NAMESPACE, body: { metadata: { name: 'aaa-not-the-controllers' }, data: { 'proxy-read-timeout': '99' } } });

    // a Secret no Ingress names
    expect((await lab.barrier()).result).toEqual({ reloaded: false, pushedBackends: false });
    expect(lab.runtime.runningConfig).not.toMatch(/proxy_read_timeout\s+99s/);

    expect(lab.runtime.counters.reloads).toBe(reloads);
    expect(await successCounter()).toBe(success);
    expect(sorted(lab.runtime.workerPids())).toEqual(workers);
    expect((await lab.get(HOST)).json?.backend).toBe('b');
    expect((await lab.get(HOST, '/v2')).json?.backend).toBe('v2');
  });

  it('a ConfigMap value that does change nginx.conf is one reload, and is served', async () => {
    const reloads = lab.runtime.counters.reloads;
    const since = lab.syncs.length;
    const cm = await lab.core.readNamespacedConfigMap({ namespace: CONTROLLER_NAMESPACE, name: CONTROLLER_CONFIGMAP });
    cm.data = { ...cm.data, 'proxy-read-timeout': '17' };
    const edited = await lab.core.replaceNamespacedConfigMap({ namespace: CONTROLLER_NAMESPACE, name: CONTROLLER_CONFIGMAP, body: cm });
    expect((await lab.syncedObject(edited, since)).result.reloaded).toBe(true);
    await lab.barrier();
    expect(lab.runtime.counters.reloads).toBe(reloads + 1);
    expect(lab.runtime.runningConfig).toMatch(/proxy_read_timeout\s+17s;/);
    expect((await lab.get(HOST)).json?.backend).toBe('b');
  });
});
