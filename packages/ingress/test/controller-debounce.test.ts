// A burst of Ingresses (kubectl apply -f on a folder of 20) becomes a handful of reloads, not 20: the
// controller debounces changes and never runs two syncs at once (ingress-nginx #10384). All 20 hosts
// end up served.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample, startControllerLab, type ControllerLab } from './controller-harness.js';

const NGINX_ADDR = '127.0.0.64';
const NS = 'burst';
const COUNT = 20;

describe('controller: debounced syncs', () => {
  let lab: ControllerLab;

  beforeAll(async () => {
    lab = await startControllerLab({ address: NGINX_ADDR, namespace: NS });
    await lab.service('web', await lab.backend('web'));
    await lab.barrier();
  });

  afterAll(async () => {
    await lab?.close();
  });

  it(`${COUNT} Ingresses created back-to-back are all served after far fewer than ${COUNT} reloads`, async () => {
    const reloads = lab.runtime.counters.reloads;
    const success = sample(await lab.metrics(), 'nginx_ingress_controller_success')!;
    const since = lab.syncs.length;
    const hosts = Array.from({ length: COUNT }, (_, i) => `site-${i}.example`);
    for (const [i, host] of hosts.entries()) await lab.createIngress(lab.ingressBody(`site-${i}`, host, [{ path: '/', service: 'web' }]));

    for (const host of hosts) expect((await lab.served(host, 200, 'web')).json?.headers.host).toBe(host);
    await lab.barrier();

    const n = lab.runtime.counters.reloads - reloads;
    const syncs = lab.syncs.length - since;
    console.log(`${COUNT} Ingresses created back-to-back: ${n} reload(s) in ${syncs} sync(s) (barrier included)`);
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(5);
    expect(sample(await lab.metrics(), 'nginx_ingress_controller_success')).toBe(success + n);
    expect(lab.syncs.slice(since).every((s) => s.result.error === undefined)).toBe(true);
    // the last configuration has every host
    const last = lab.syncs[lab.syncs.length - 1]!;
    expect(hosts.every((h) => last.model.servers.some((s) => s.hostname === h))).toBe(true);
  });
});
