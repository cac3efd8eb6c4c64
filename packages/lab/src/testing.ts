// A lab as a vitest test: the scenario runs on its own embedded cluster (removed afterwards), every
// step must pass, and `check` may assert on what was narrated.
import { cleanupCluster } from '@svclab/cluster';
import { afterAll, describe, expect, it } from 'vitest';
import { embeddedDriver } from './drivers/embedded.js';
import { recordingNarrator } from './narrator.js';
import { runLab } from './run-lab.js';

export function testLab(lab: string, cluster: string, claim: string, check?: (lines: string[]) => void): void {
  afterAll(() => cleanupCluster(cluster));
  describe(`labs/${lab}`, () => {
    it(claim, async () => {
      const narration = recordingNarrator();
      const run = await runLab(lab, embeddedDriver(cluster), narration);
      expect(run.results.filter((r) => !r.ok).map((r) => `${r.title}: ${r.error}`)).toEqual([]);
      expect(run.ok).toBe(true);
      check?.(narration.lines);
    });
  });
}
