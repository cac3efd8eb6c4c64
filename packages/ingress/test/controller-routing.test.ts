// The running controller picks up Ingresses written through the API: created → served by its backend,
// without restarting anything, and a client asking all along sees 404s then 200s, no 503 blip while
// nginx reloads; a path moved to another Service switches over without one either; deleted → its
// host falls back to the default backend's 404. An Ingress of another class is left alone.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoBackend } from './nginx-harness.js';
import { startControllerLab, type ControllerLab } from './controller-harness.js';

const NGINX_ADDR = '127.0.0.61';
const NS = 'shop';

/** the kinds of answer in answersWhile's summary ("404×3 200:api×20" → 404, 200:api); while nginx
 * reloads, old and new workers both answer for a moment, so old and new answers may interleave */
const kinds = (seen: string) => [...new Set(seen.split(' ').map((run) => run.split('×')[0]!))];

describe('controller: Ingresses come and go through the API', () => {
  let lab: ControllerLab;
  let web: EchoBackend;
  let masterPid: number | undefined;

  beforeAll(async () => {
    lab = await startControllerLab({ address: NGINX_ADDR, namespace: NS });
    masterPid = lab.runtime.pid;
    web = await lab.backend('web');
    await lab.service('web', web);
  });

  afterAll(async () => {
    await lab?.close();
  });

  it('before any Ingress, a host gets the default backend\'s 404', async () => {
    const r = await lab.get('shop.example');
    expect(r.status).toBe(404);
    expect(lab.controller.health().ok).toBe(true);
  });

  it('an Ingress created through the API is served by its backend, nginx not restarted', async () => {
    await lab.createIngress(lab.ingressBody('shop', 'shop.example', [{ path: '/', service: 'web' }]));
    const r = await lab.served('shop.example', 200, 'web', '/cart?id=1');
    expect(r.json?.url).toBe('/cart?id=1');
    expect(r.json?.headers.host).toBe('shop.example');
    expect(lab.runtime.pid).toBe(masterPid);
    // another host is still not routed
    expect((await lab.get('other.example')).status).toBe(404);
  });

  it('a host added while a client keeps asking answers 404, then 200: never a 503 while nginx reloads', async () => {
    const api = await lab.backend('api');
    // the Service has its endpoints before the Ingress comes (informers of different kinds are not
    // ordered: an Ingress seen before its Service's endpoints would answer 503 until they arrive)
    await lab.syncedObject((await lab.service('api', api))!);
    const seen = await lab.answersWhile('api.example', () => lab.createIngress(lab.ingressBody('api', 'api.example', [{ path: '/', service: 'api' }])), 'api');
    expect(kinds(seen), seen).toEqual(expect.arrayContaining(['200:api']));
    expect(kinds(seen).filter((k) => k !== '404' && k !== '200:api'), seen).toEqual([]);
  });

  it('pointing a path at another Service moves the answers from one backend to the other: never a 503 in between', async () => {
    const api2 = await lab.backend('api-v2');
    await lab.syncedObject((await lab.service('api-v2', api2))!);
    const cur = await lab.net.readNamespacedIngress({ namespace: NS, name: 'api' });
    const next = lab.ingressBody('api', 'api.example', [{ path: '/', service: 'api-v2' }]);
    const seen = await lab.answersWhile('api.example', () => lab.net.replaceNamespacedIngress({ namespace: NS, name: 'api', body: { ...cur, spec: next.spec } }), 'api-v2');
    expect(kinds(seen).filter((k) => k !== '200:api' && k !== '200:api-v2'), seen).toEqual([]);
  });

  it('an Ingress of another class is not ours: never served', async () => {
    const foreign = lab.ingressBody('foreign', 'foreign.example', [{ path: '/', service: 'web' }]);
    foreign.spec!.ingressClassName = 'traefik';
    const created = await lab.createIngress(foreign);
    const seen = await lab.syncedObject(created);
    expect(seen.model.servers.map((s) => s.hostname)).not.toContain('foreign.example');
    expect(seen.model.rejected).toEqual([]);
    expect((await lab.get('foreign.example')).status).toBe(404);
    expect(await lab.eventsOf('foreign')).toEqual([]);
  });

  it('deleting the Ingress hands its host back to the default backend (404)', async () => {
    await lab.net.deleteNamespacedIngress({ namespace: NS, name: 'shop' });
    const r = await lab.served('shop.example', 404);
    expect(r.body).toContain('404 Not Found');
    // once the reload is over, no request reaches the old backend
    await lab.settled();
    const reached = web.seen.length;
    for (let i = 0; i < 5; i++) expect((await lab.get('shop.example', '/cart')).status).toBe(404);
    expect(web.seen.length).toBe(reached);
    expect(lab.runtime.pid).toBe(masterPid);
  });
});
