// Runs one scenario end to end: prerequisites, a cluster from the driver, the steps, a verdict.
import { ensurePrerequisites } from './doctor/doctor.js';
import type { Driver } from './drivers/driver.js';
import { loadScenario } from './labs.js';
import { LabContext, runScenario, type Narrator, type StepResult } from './scenario.js';

export interface LabRun { ok: boolean; results: StepResult[] }

export async function runLab(name: string, driver: Driver, narrate: Narrator): Promise<LabRun> {
  const scenario = await loadScenario(name);
  await ensurePrerequisites([...new Set([...driver.needs, ...scenario.needs])]);
  narrate.say(`${scenario.title}\n(tutorial ${scenario.tutorial}; cluster driver: ${driver.name})`);
  const cluster = await driver.acquire((step) => narrate.say(` • ${step}`));
  try {
    const ctx = new LabContext(cluster.kc, cluster.info, narrate);
    const results = await runScenario(scenario, ctx);
    return { ok: results.length === scenario.steps.length && results.every((r) => r.ok), results };
  } finally {
    await cluster.release();
  }
}
