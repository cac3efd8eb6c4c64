// A bad Ingress is refused on its own: a Warning Event "Rejected" with the reason on that Ingress, a log
// line naming it, the rejected_ingresses gauge in /metrics. Nothing of it reaches nginx.conf, nginx
// keeps serving the configuration it had (no reload at all), and every other Ingress stays served.
// Fixing the Ingress gets it served.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample, startControllerLab, until, type ControllerLab } from './controller-harness.js';

const NGINX_ADDR = '127.0.0.62';
const NS = 'tenant';
const INJECTION = '1m; load_module /tmp/evil.so';

describe('controller: a bad Ingress is refused, the others keep being served', () => {
  let lab: ControllerLab;

  beforeAll(async () => {
    lab = await startControllerLab({ address: NGINX_ADDR, namespace: NS });
    const good = await lab.backend('good');
    await lab.service('good', good);
    await lab.createIngress(lab.ingressBody('good', 'good.example', [{ path: '/', service: 'good' }]));
    await lab.served('good.example', 200, 'good');
    await lab.barrier(); // the sync that served it is over (its reload counted)
  });

  afterAll(async () => {
    await lab?.close();
  });

  const rejectedEvent = (name: string) => until(`a Rejected Event on Ingress ${NS}/${name}`, async () => (await lab.eventsOf(name)).find((e) => e.reason === 'Rejected'));

  it('an injected annotation value: Warning Event with the reason, a log line, no reload, the good Ingress still served', async () => {
    const reloads = lab.runtime.counters.reloads;
    const running = lab.runtime.runningConfig;
    const since = lab.syncs.length;
    const evil = await lab.createIngress(lab.ingressBody('evil', 'evil.example', [{ path: '/', service: 'good' }], {
      annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': INJECTION },
    }));

    const ev = await rejectedEvent('evil');
    expect(ev.type).toBe('Warning');
    expect(ev.message).toContain('nginx.ingress.kubernetes.io/proxy-body-size');
    expect(ev.message).toContain('load_module');
    expect(ev.involvedObject).toMatchObject({ kind: 'Ingress', namespace: NS, name: 'evil', uid: evil.metadata!.uid });
    expect(ev.source?.component).toBe('nginx-ingress-controller');
    expect(lab.logs.some((l) => l.startsWith(`Ingress ${NS}/evil rejected:`) && l.includes('load_module'))).toBe(true);

    // the sync that saw it changed nothing in nginx
    const sync = await lab.syncedObject(evil, since);
    expect(sync.result.reloaded).toBe(false);
    expect(sync.result.error).toBeUndefined();
    expect(sync.model.rejected).toEqual([{ ingress: { namespace: NS, name: 'evil' }, reason: expect.stringContaining('load_module') }]);
    expect(lab.runtime.counters.reloads).toBe(reloads);
    expect(lab.runtime.runningConfig).toBe(running);
    expect(running).not.toContain('evil');

    expect((await lab.get('good.example')).json?.backend).toBe('good');
    expect((await lab.get('evil.example')).status).toBe(404);

    const m = await lab.metrics();
    expect(sample(m, 'nginx_ingress_controller_rejected_ingresses')).toBe(1);
    expect(sample(m, 'nginx_ingress_controller_config_last_reload_successful')).toBe(1);
    expect(sample(m, 'nginx_ingress_controller_errors')).toBe(0);
  });

  it('a snippet annotation is refused the same way, and counted', async () => {
    await lab.createIngress(lab.ingressBody('snippet', 'snippet.example', [{ path: '/', service: 'good' }], {
      annotations: { 'nginx.ingress.kubernetes.io/configuration-snippet': 'more_set_headers "X-Owned: yes";' },
    }));
    const ev = await rejectedEvent('snippet');
    expect(ev.type).toBe('Warning');
    expect(ev.message).toMatch(/configuration-snippet: snippet annotations are not allowed/);
    expect(lab.logs.some((l) => l.startsWith(`Ingress ${NS}/snippet rejected:`))).toBe(true);
    expect(sample(await lab.metrics(), 'nginx_ingress_controller_rejected_ingresses')).toBe(2);
    expect((await lab.get('snippet.example')).status).toBe(404);
    expect((await lab.get('good.example')).json?.backend).toBe('good');
    expect(lab.runtime.runningConfig).not.toContain('X-Owned');
  });

  it('a new good Ingress is served while the bad ones stay refused; each bad one has one Rejected Event, not one per sync', async () => {
    const other = await lab.backend('other');
    await lab.service('other', other);
    await lab.createIngress(lab.ingressBody('other', 'other.example', [{ path: '/', service: 'other' }]));
    await lab.served('other.example', 200, 'other');
    await lab.barrier();
    expect((await lab.get('good.example')).json?.backend).toBe('good');
    for (const name of ['evil', 'snippet']) {
      expect((await lab.eventsOf(name)).filter((e) => e.reason === 'Rejected')).toHaveLength(1);
      expect((await lab.eventsOf(name)).filter((e) => e.reason === 'Sync')).toHaveLength(0);
    }
    expect((await lab.eventsOf('other')).map((e) => `${e.type} ${e.reason}`)).toEqual(['Normal Sync']);
    expect(sample(await lab.metrics(), 'nginx_ingress_controller_rejected_ingresses')).toBe(2);
  });

  it('fixing the bad Ingress gets it served and clears it from the gauge', async () => {
    const cur = await lab.net.readNamespacedIngress({ namespace: NS, name: 'evil' });
    cur.metadata!.annotations = { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' };
    await lab.net.replaceNamespacedIngress({ namespace: NS, name: 'evil', body: cur });
    await lab.served('evil.example', 200, 'good');
    await lab.barrier();
    expect(lab.runtime.runningConfig).toMatch(/client_max_body_size\s+"?8m"?;/);
    await until('the rejected gauge to drop to 1', async () => sample(await lab.metrics(), 'nginx_ingress_controller_rejected_ingresses') === 1);
    expect((await lab.eventsOf('evil')).map((e) => e.reason).sort()).toEqual(['Rejected', 'Sync']);
  });
});
