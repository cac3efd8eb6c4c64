import { cleanupCluster } from '@svclab/cluster';
import { embeddedDriver, recordingNarrator, runLab } from '@svclab/lab';
import { afterAll, describe, expect, it } from 'vitest';

afterAll(() => cleanupCluster('svcval'));

describe('labs/service-validation (tutorial 001)', () => {
  it('gets the apiserver\'s refusals verbatim through the real kubectl', async () => {
    const narration = recordingNarrator();
    const run = await runLab('service-validation', embeddedDriver('svcval'), narration);
    expect(run.results.filter((r) => !r.ok).map((r) => `${r.title}: ${r.error}`)).toEqual([]);
    expect(run.ok).toBe(true);
    expect(narration.lines).toContain('The Service "sample-nodeport-fail" is invalid: spec.ports[0].nodePort: Invalid value: 8888: provided port is not in the valid range. The range of valid ports is 30000-32767');
  });
});
