// The scenario catalogue: every folder under labs/ with a scenario.ts.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Scenario } from './scenario.js';

export const LABS_DIR = fileURLToPath(new URL('../../../labs/', import.meta.url));

export function labNames(): string[] {
  return readdirSync(LABS_DIR).filter((d) => existsSync(join(LABS_DIR, d, 'scenario.ts'))).sort();
}

export async function loadScenario(name: string): Promise<Scenario> {
  if (!labNames().includes(name)) throw new Error(`no lab named "${name}"; labs: ${labNames().join(', ')}`);
  const mod = (await import(pathToFileURL(join(LABS_DIR, name, 'scenario.ts')).href)) as { default: Scenario };
  return mod.default;
}
