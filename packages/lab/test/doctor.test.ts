import { describe, expect, it } from 'vitest';
import { runChecks } from '../src/doctor/checks.js';
import { formatChecks } from '../src/doctor/doctor.js';

describe('pnpm lab doctor', () => {
  it('finds every prerequisite the labs need on this machine, and says how to fix what is missing', async () => {
    const results = await runChecks();
    const essential = results.filter((r) => r.id !== 'ipvs');
    expect(essential.filter((r) => !r.ok).map((r) => `${r.title}: ${r.detail} (fix: ${r.fix})`)).toEqual([]);
    const report = formatChecks(results);
    expect(report).toMatch(/✓ ok\s+iptables nat with statistic and recent/);
    const ipvs = results.find((r) => r.id === 'ipvs')!;
    // these machines' kernel has no IP_VS: it must say so and name the fix, never pretend
    if (!ipvs.ok) expect(ipvs.fix).toContain('modprobe ip_vs');
  });
});
