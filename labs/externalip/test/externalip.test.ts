import { cleanupCluster } from '@svclab/cluster';
import { embeddedDriver, recordingNarrator, runLab } from '@svclab/lab';
import { afterAll, describe, expect, it } from 'vitest';

afterAll(() => cleanupCluster('svcext'));

describe('labs/externalip (tutorial 001)', () => {
  it('answers on the listed node IPs from outside, not on the others', async () => {
    const run = await runLab('externalip', embeddedDriver('svcext'), recordingNarrator());
    expect(run.results.filter((r) => !r.ok).map((r) => `${r.title}: ${r.error}`)).toEqual([]);
    expect(run.ok).toBe(true);
  });
});
