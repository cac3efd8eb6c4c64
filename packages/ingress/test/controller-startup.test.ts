// Starting on a cluster whose lists take a while (thousands of Secrets make the Secrets list slow): the
// controller syncs only once nginx runs and every cache is filled. Before that, /healthz is not ready;
// no "configuration not loaded" is logged or counted as a reload error; what existed is served at once.
// The slow list is simulated: the controller's KubeConfig holds back its Secrets list for 500 ms, ten
// times the sync debounce, while the other lists (and their add events) arrive at once.

import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample, startControllerLab, type ControllerLab } from './controller-harness.js';

const NGINX_ADDR = '127.0.0.68';
const NS = 'startup';
const HOLD_MS = 500;

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/** a KubeConfig whose Secrets list requests (not watches) answer late */
class SlowSecretsList extends KubeConfig {
  held = 0;
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    const url = new URL(context.getUrl());
    if (url.pathname === '/api/v1/secrets' && url.searchParams.get('watch') !== 'true') {
      this.held++;
      await new Promise((r) => setTimeout(r, HOLD_MS));
    }
    return super.applySecurityAuthentication(context);
  }
}

describe('controller: start on a slow cluster', () => {
  let lab: ControllerLab;
  let slow: SlowSecretsList;

  beforeAll(async () => {
    lab = await startControllerLab({
      address: NGINX_ADDR, namespace: NS, start: false,
      controllerKubeConfig: (kc) => { slow = new SlowSecretsList(); slow.loadFromString(kc.exportConfig()); return slow; },
    });
    await lab.service('web', await lab.backend('web'));
    await lab.createIngress(lab.ingressBody('web', 'web.example', [{ path: '/', service: 'web' }]));
  });

  afterAll(async () => {
    await lab?.close();
  });

  it('does not sync before nginx runs: /healthz not ready until then, no failed reload, served at once', async () => {
    // the readiness probe, every 10 ms during the start
    const readyWhileNginxDown: string[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const running = lab.runtime.running;
        const r = await lab.controllerGet('/healthz');
        if (r.status === 200 && !running && !readyWhileNginxDown.includes(r.body.trim())) readyWhileNginxDown.push(r.body.trim());
        await new Promise((res) => setTimeout(res, 10));
      }
    })();
    try {
      await lab.start();
    } finally {
      probing = false;
      await probe;
    }
    expect(slow.held).toBeGreaterThan(0); // the Secrets list really was slow

    expect(readyWhileNginxDown).toEqual([]);
    expect(lab.syncs.filter((s) => s.result.error)).toEqual([]);
    expect(lab.logs.filter((l) => l.includes('was not loaded'))).toEqual([]);
    const m = await lab.metrics();
    expect(sample(m, 'nginx_ingress_controller_errors')).toBe(0);
    expect(sample(m, 'nginx_ingress_controller_config_last_reload_successful')).toBe(1);
    // the first sync saw every cache filled
    expect(lab.syncs[0]?.snapshot.ingresses.map((i) => i.metadata?.name)).toEqual(['web']);
    expect((await lab.controllerGet('/healthz')).status).toBe(200);
    await lab.settled();
    expect((await lab.get('web.example')).json?.backend).toBe('web');
  });
});
