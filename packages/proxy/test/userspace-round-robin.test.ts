import { describe, expect, it } from 'vitest';
import { dialEndpoint } from '../src/userspace/endpoint-dial.js';
import { RoundRobin } from '../src/userspace/round-robin.js';

const A = '10.244.1.11:8080';
const B = '10.244.1.12:8080';
const C = '10.244.1.13:8080';
const D = '10.244.1.14:8080';

const picks = (rr: RoundRobin, n: number, client = '10.0.0.1', at = 0) => Array.from({ length: n }, () => rr.pick(client, at));

describe('userspace round-robin (upstream LoadBalancerRR)', () => {
  it('hands out the endpoints in exact cyclic order, in the order the model sorts them', () => {
    const rr = new RoundRobin();
    rr.setEndpoints([A, B, C]);
    expect(picks(rr, 7)).toEqual([A, B, C, A, B, C, A]);
  });

  it('rotates per Service port, whoever the client is, when there is no affinity', () => {
    const rr = new RoundRobin();
    rr.setEndpoints([A, B, C]);
    expect([rr.pick('10.0.0.1', 0), rr.pick('10.0.0.2', 0), rr.pick('10.0.0.1', 0)]).toEqual([A, B, C]);
    expect(rr.pinnedClients).toBe(0);
  });

  it('has nothing to give when there are no endpoints', () => {
    const rr = new RoundRobin(60);
    expect(rr.pick('10.0.0.1', 0)).toBeUndefined();
    rr.setEndpoints([A]);
    rr.setEndpoints([]);
    expect(rr.pick('10.0.0.1', 0)).toBeUndefined();
  });

  it('ClientIP affinity sends a client back to its endpoint while it keeps coming within the timeout', () => {
    const rr = new RoundRobin(10);
    rr.setEndpoints([A, B, C]);
    expect(rr.pick('10.0.0.1', 0)).toBe(A);
    expect(rr.pick('10.0.0.2', 0)).toBe(B);
    // a sliding window: each use renews it, so 9 s steps never expire
    for (let t = 9_000; t <= 45_000; t += 9_000) expect(rr.pick('10.0.0.1', t)).toBe(A);
    expect(rr.pick('10.0.0.3', 45_000)).toBe(C);
  });

  it('affinity expires after timeoutSeconds of silence and the rotation resumes', () => {
    const rr = new RoundRobin(10);
    rr.setEndpoints([A, B, C]);
    expect(rr.pick('10.0.0.1', 0)).toBe(A);
    expect(rr.pick('10.0.0.1', 9_999)).toBe(A);
    // 10 s after the last use: upstream's int(elapsed) < ttl is false
    expect(rr.pick('10.0.0.1', 19_999 + 1)).toBe(B);
    expect(rr.pick('10.0.0.1', 20_500)).toBe(B);
    rr.cleanupStale(40_000);
    expect(rr.pinnedClients).toBe(0);
  });

  it('a failed connect (resetAffinity) moves a pinned client to the next endpoint, and it stays there', () => {
    const rr = new RoundRobin(60);
    rr.setEndpoints([A, B, C]);
    expect(rr.pick('10.0.0.1', 0)).toBe(A);
    expect(rr.pick('10.0.0.1', 1, true)).toBe(B);
    expect(rr.pick('10.0.0.1', 2)).toBe(B);
  });

  it('turning affinity off forgets every client', () => {
    const rr = new RoundRobin(60);
    rr.setEndpoints([A, B, C]);
    rr.pick('10.0.0.1', 0);
    rr.setAffinity(0);
    expect(rr.pinnedClients).toBe(0);
    expect(picks(rr, 3)).toEqual([B, C, A]);
  });

  it('an unchanged endpoint set keeps the rotation where it was', () => {
    const rr = new RoundRobin();
    rr.setEndpoints([A, B, C]);
    expect(picks(rr, 2)).toEqual([A, B]);
    rr.setEndpoints([A, B, C]);
    expect(picks(rr, 2)).toEqual([C, A]);
  });

  it('a changed endpoint set resumes after the endpoint handed out last, and forgets clients pinned to a removed one', () => {
    const rr = new RoundRobin(60);
    rr.setEndpoints([A, B, C]);
    expect(rr.pick('10.0.0.1', 0)).toBe(A);
    expect(rr.pick('10.0.0.2', 0)).toBe(B);
    rr.setEndpoints([A, C, D]); // B left, D came
    expect(rr.pinnedClients).toBe(1);
    expect(rr.pick('10.0.0.1', 1)).toBe(A); // still pinned
    expect(rr.pick('10.0.0.2', 1)).toBe(C); // B's client: the rotation resumes after B
    expect(rr.pick('10.0.0.3', 1)).toBe(D);
    expect(rr.pick('10.0.0.4', 1)).toBe(A);
  });

  it('wraps to the first endpoint when nothing sorts after the last one handed out', () => {
    const rr = new RoundRobin();
    rr.setEndpoints([A, B, C]);
    expect(picks(rr, 3)).toEqual([A, B, C]);
    rr.setEndpoints([A, B]);
    expect(picks(rr, 3)).toEqual([A, B, A]);
  });
});

describe('userspace endpoint retries (upstream TryConnectEndpoints)', () => {
  it('tries the next endpoint on each failure with 250/500/1000/2000 ms timeouts, resetting affinity after the first failure', async () => {
    const rr = new RoundRobin(60);
    rr.setEndpoints([A, B, C]);
    const tried: Array<[string, number]> = [];
    const r = await dialEndpoint((ip, reset) => rr.pick(ip, 0, reset), '10.0.0.1', async (ep, ms) => {
      tried.push([ep, ms]);
      if (ep !== C) throw new Error('connection refused');
      return ep;
    });
    expect(tried).toEqual([[A, 250], [B, 500], [C, 1000]]);
    expect(r).toMatchObject({ ok: true, endpoint: C });
    expect(rr.pick('10.0.0.1', 1)).toBe(C); // the client is now pinned to the endpoint that answered
  });

  it('gives up after four tries, and at once when there is no endpoint', async () => {
    const rr = new RoundRobin();
    rr.setEndpoints([A, B]);
    let n = 0;
    const r = await dialEndpoint((ip, reset) => rr.pick(ip, 0, reset), '10.0.0.1', async () => { n++; throw new Error('timeout'); });
    expect(n).toBe(4);
    expect(r).toMatchObject({ ok: false, reason: 'all-failed' });
    const none = await dialEndpoint(() => undefined, '10.0.0.1', async () => 'never');
    expect(none).toMatchObject({ ok: false, reason: 'no-endpoints' });
  });
});
