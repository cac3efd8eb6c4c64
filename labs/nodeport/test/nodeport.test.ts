import { cleanupCluster } from '@svclab/cluster';
import { embeddedDriver, recordingNarrator, runLab } from '@svclab/lab';
import { afterAll, describe, expect, it } from 'vitest';

afterAll(() => cleanupCluster('svcnp'));

describe('labs/nodeport (tutorials 001, 004)', () => {
  it('reaches nodePort 30080 on every node from the client host, spread evenly, client masqueraded', async () => {
    const run = await runLab('nodeport', embeddedDriver('svcnp'), recordingNarrator());
    expect(run.results.filter((r) => !r.ok).map((r) => `${r.title}: ${r.error}`)).toEqual([]);
    expect(run.ok).toBe(true);
  });
});
