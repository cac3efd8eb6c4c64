// status.loadBalancer with --publish-status-address: every Ingress the controller took on gets the
// address, written through the status subresource (the apiserver, like kube-apiserver, ignores status
// in an update of the Ingress itself, so a status that appears came through /status; spec and
// generation stay untouched); a refused Ingress gets none. Writing status is not a reason to reload nginx.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControllerLab, until, type ControllerLab } from './controller-harness.js';

const NGINX_ADDR = '127.0.0.66';
const NS = 'status';
const ADDRESS = '203.0.113.7';

describe('controller: status.loadBalancer', () => {
  let lab: ControllerLab;

  const lbOf = async (name: string) => (await lab.net.readNamespacedIngress({ namespace: NS, name })).status?.loadBalancer?.ingress;

  beforeAll(async () => {
    lab = await startControllerLab({ address: NGINX_ADDR, namespace: NS, args: ['--update-status=true', `--publish-status-address=${ADDRESS}`] });
    await lab.service('web', await lab.backend('web'));
    await lab.barrier();
  });

  afterAll(async () => {
    await lab?.close();
  });

  it('an accepted Ingress gets status.loadBalancer.ingress [{ ip }] through the status subresource, at the cost of one reload', async () => {
    expect(lab.flags.publishStatusAddress).toEqual([ADDRESS]);
    const reloads = lab.runtime.counters.reloads;
    const created = await lab.createIngress(lab.ingressBody('web', 'web.example', [{ path: '/', service: 'web' }]));
    await lab.served('web.example', 200, 'web');
    expect(await until('status of Ingress web', () => lbOf('web').then((x) => x?.length && x))).toEqual([{ ip: ADDRESS }]);
    const now = await lab.net.readNamespacedIngress({ namespace: NS, name: 'web' });
    expect(now.metadata?.generation).toBe(created.metadata?.generation);
    expect(now.spec).toEqual(created.spec);
    // the status write came back as an Ingress update: synced, and nothing to reload for it
    await lab.syncedObject(now);
    await lab.barrier();
    expect(lab.runtime.counters.reloads).toBe(reloads + 1);
  });

  it('a refused Ingress gets no status, while an Ingress accepted after it does', async () => {
    await lab.createIngress(lab.ingressBody('bad', 'bad.example', [{ path: '/', service: 'web' }], {
      annotations: { 'nginx.ingress.kubernetes.io/server-snippet': 'return 200 "owned";' },
    }));
    await until('the Rejected Event on Ingress bad', async () => (await lab.eventsOf('bad')).some((e) => e.reason === 'Rejected'));
    await lab.createIngress(lab.ingressBody('later', 'later.example', [{ path: '/', service: 'web' }]));
    expect(await until('status of Ingress later', () => lbOf('later').then((x) => x?.length && x))).toEqual([{ ip: ADDRESS }]);
    await lab.barrier();
    expect(await lbOf('bad')).toBeUndefined();
    expect(await lbOf('web')).toEqual([{ ip: ADDRESS }]);
  });

  it('status that someone else overwrote is written back', async () => {
    const cur = await lab.net.readNamespacedIngress({ namespace: NS, name: 'web' });
    await lab.net.replaceNamespacedIngressStatus({ namespace: NS, name: 'web', body: { ...cur, status: { loadBalancer: { ingress: [{ ip: '198.51.100.9' }] } } } });
    expect(await until('status of Ingress web to be ours again', async () => {
      const lb = await lbOf('web');
      return lb?.[0]?.ip === ADDRESS && lb;
    })).toEqual([{ ip: ADDRESS }]);
  });
});
