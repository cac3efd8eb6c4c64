import { embeddedDriver, recordingNarrator, runLab } from '@svclab/lab';
import { cleanupCluster } from '@svclab/cluster';
import { afterAll, describe, expect, it } from 'vitest';

afterAll(() => cleanupCluster('svcci'));

describe('labs/clusterip (tutorial 001, ClusterIP)', () => {
  it('passes every assertion through the kernel data path, narrating the tutorial\'s output', async () => {
    const narration = recordingNarrator();
    const run = await runLab('clusterip', embeddedDriver('svcci'), narration);
    const failed = run.results.filter((r) => !r.ok).map((r) => `${r.title}: ${r.error}`);
    expect(failed).toEqual([]);
    expect(run.ok).toBe(true);
    expect(narration.lines).toContain('# kubectl get service sample-clusterip');
    expect(narration.lines.some((l) => /^Host=10\.\d+\.\d+\.\d+ Path=\/ From=sample-deployment-\S+ ClientIP=10\.244\.\d+\.\d+ XFF=$/m.test(l))).toBe(true);
  });
});
