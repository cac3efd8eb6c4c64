import type { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { eventRecorder } from '../src/controllers/events.js';

describe('eventRecorder', () => {
  it('counts a repeated event on the stored one (count, lastTimestamp) as client-go\'s correlator does; a different message is a new event', async () => {
    const calls: Array<[string, unknown]> = [];
    const core = {
      createNamespacedEvent: async (r: { body: { metadata: { name: string } } }) => { calls.push(['create', r.body.metadata.name]); return r.body; },
      patchNamespacedEvent: async (r: { name: string; body: unknown }) => { calls.push(['patch', { name: r.name, body: r.body }]); return {}; },
    } as unknown as CoreV1Api;
    const rec = eventRecorder(core, 'kubelet', 'node-1');
    const pod = { metadata: { name: 'p', namespace: 'default', uid: 'u1' } };
    rec.event('Pod', pod, 'Warning', 'Failed', 'Error: ErrImagePull');
    rec.event('Pod', pod, 'Normal', 'BackOff', 'Back-off pulling image "x"');
    rec.event('Pod', pod, 'Warning', 'Failed', 'Error: ErrImagePull');
    rec.event('Pod', pod, 'Warning', 'Failed', 'Error: ErrImagePull');
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.map(([op]) => op)).toEqual(['create', 'create', 'patch', 'patch']);
    const first = calls[0]![1] as string;
    const patches = calls.slice(2).map(([, p]) => p as { name: string; body: Array<{ path: string; value: unknown }> });
    expect(patches.map((p) => [p.name, p.body.find((o) => o.path === '/count')!.value])).toEqual([[first, 2], [first, 3]]);
    expect(patches[0]!.body.find((o) => o.path === '/lastTimestamp')!.value).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
