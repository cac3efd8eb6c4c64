// `pnpm lab doctor [--fix]`: the checks as a report, and installing the missing Debian packages.
import { execa } from 'execa';
import { runChecks, type CheckResult, type Requirement } from './checks.js';

export function formatChecks(results: CheckResult[]): string {
  return results.map((r) => `${r.ok ? ' ✓ ok     ' : ' ✗ missing'} ${r.title.padEnd(40)} ${r.detail}${r.ok ? '' : `\n             fix: ${r.fix}`}`).join('\n');
}

export async function doctor(fix: boolean, print: (s: string) => void): Promise<boolean> {
  let results = await runChecks();
  print(formatChecks(results));
  const packages = [...new Set(results.filter((r) => !r.ok).flatMap((r) => r.packages ?? []))];
  if (fix && packages.length) {
    print(`\nInstalling: ${packages.join(' ')}`);
    await execa('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    await execa('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env: { DEBIAN_FRONTEND: 'noninteractive' } });
    results = await runChecks();
    print('\n' + formatChecks(results));
  }
  const essential = results.filter((r) => r.id !== 'ipvs');
  return essential.every((r) => r.ok);
}

/** What a scenario (or `what`) needs, checked before it runs; throws with the doctor's advice when something is missing. */
export async function ensurePrerequisites(needs: Requirement[], what = 'this lab'): Promise<void> {
  const missing = (await runChecks(needs)).filter((r) => !r.ok);
  if (missing.length) {
    throw new Error(`${what} needs what this machine lacks:\n${formatChecks(missing)}\n\nRun \`pnpm lab doctor --fix\` to install the missing packages.`);
  }
}
