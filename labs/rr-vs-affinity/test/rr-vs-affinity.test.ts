import { cleanupCluster } from '@svclab/cluster';
import { embeddedDriver, recordingNarrator, runLab } from '@svclab/lab';
import { afterAll, describe, expect, it } from 'vitest';

afterAll(() => cleanupCluster('svcrr'));

describe('labs/rr-vs-affinity (tutorial 000)', () => {
  it('spreads without affinity, sticks with ClientIP, lets go after the timeout, spreads again', async () => {
    const run = await runLab('rr-vs-affinity', embeddedDriver('svcrr'), recordingNarrator());
    expect(run.results.filter((r) => !r.ok).map((r) => `${r.title}: ${r.error}`)).toEqual([]);
    expect(run.ok).toBe(true);
  });
});
