// The controller's own HTTP port: /healthz is 500 until the first configuration is loaded, 200 after
// (the readiness probe); /metrics has ingress-nginx's names — requests counted by namespace, Ingress,
// host and status, the running config's hash, and the reload counters.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample, startControllerLab, until, type ControllerLab } from './controller-harness.js';

const NGINX_ADDR = '127.0.0.67';
const NS = 'metrics';
const HOST = 'shop.example';

describe('controller: /healthz and /metrics', () => {
  let lab: ControllerLab;

  beforeAll(async () => {
    lab = await startControllerLab({ address: NGINX_ADDR, namespace: NS, start: false });
    await lab.service('web', await lab.backend('web'));
    await lab.service('down'); // a Service without endpoints
    await lab.createIngress(lab.ingressBody('shop', HOST, [{ path: '/', service: 'web' }, { path: '/down', service: 'down' }]));
  });

  afterAll(async () => {
    await lab?.close();
  });

  it('/healthz answers 500 before the first sync and 200 once it is loaded', async () => {
    const before = await lab.controllerGet('/healthz');
    expect(before.status).toBe(500);
    expect(before.body).toMatch(/not loaded yet/);
    expect(lab.runtime.running).toBe(false);

    await lab.start();
    const after = await lab.controllerGet('/healthz');
    expect(after.status).toBe(200);
    expect(after.body.trim()).toBe('ok');
    // what existed before the start is served as soon as the start's own reload is over
    await lab.settled();
    expect((await lab.get(HOST)).json?.backend).toBe('web');
    expect((await lab.controllerGet('/nope')).status).toBe(404);
  });

  it('/metrics counts requests by namespace, Ingress, host and status', async () => {
    const labels = (status: string, ingress = 'shop', host = HOST, namespace = NS) => ({ namespace, ingress, host, status });
    const count = async (l: Record<string, string>) => sample(await lab.metrics(), 'nginx_ingress_controller_requests', l) ?? 0;
    const ok = await count(labels('200'));
    const unavailable = await count(labels('503'));
    const unknown = await count(labels('404', '', '_', ''));

    for (let i = 0; i < 3; i++) expect((await lab.get(HOST, `/item/${i}`)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await lab.get(HOST, '/down')).status).toBe(503);
    expect((await lab.get('nobody.example')).status).toBe(404);

    // counted in nginx's log phase, after the response: poll
    await until('3 more 200s for shop', async () => (await count(labels('200'))) === ok + 3);
    await until('2 more 503s for shop', async () => (await count(labels('503'))) === unavailable + 2);
    await until('1 more 404 on the catch-all', async () => (await count(labels('404', '', '_', ''))) === unknown + 1);
    const text = await lab.metrics();
    expect(text).toContain('# TYPE nginx_ingress_controller_requests counter');
    expect(text).toMatch(/^nginx_ingress_controller_requests\{controller_class="k8s\.io\/ingress-nginx",.*namespace="metrics",ingress="shop",service="web",host="shop\.example",status="200"\} \d+$/m);
  });

  it('/metrics has the running config\'s hash and the reload counters, which follow a reload', async () => {
    const hashOf = () => Number.parseInt(lab.runtime.counters.configHash!.slice(0, 12), 16);
    let m = await lab.metrics();
    expect(sample(m, 'nginx_ingress_controller_config_hash')).toBe(hashOf());
    expect(sample(m, 'nginx_ingress_controller_config_last_reload_successful')).toBe(1);
    expect(sample(m, 'nginx_ingress_controller_errors')).toBe(0);
    const success = sample(m, 'nginx_ingress_controller_success')!;
    expect(success).toBe(lab.runtime.counters.reloads);
    const hash = sample(m, 'nginx_ingress_controller_config_hash');

    await lab.createIngress(lab.ingressBody('blog', 'blog.example', [{ path: '/', service: 'web' }]));
    await lab.served('blog.example', 200, 'web');
    await lab.barrier();
    m = await lab.metrics();
    expect(sample(m, 'nginx_ingress_controller_success')).toBe(success + 1);
    expect(sample(m, 'nginx_ingress_controller_config_hash')).not.toBe(hash);
    expect(sample(m, 'nginx_ingress_controller_config_hash')).toBe(hashOf());
    expect(sample(m, 'nginx_ingress_controller_config_last_reload_successful_timestamp_seconds')).toBeGreaterThan(0);
    expect(sample(m, 'nginx_ingress_controller_config_last_reload_successful')).toBe(1);
  });
});
