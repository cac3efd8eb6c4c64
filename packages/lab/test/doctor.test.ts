import { describe, expect, it } from 'vitest';
import { runChecks } from '../src/doctor/checks.js';
import { formatChecks } from '../src/doctor/doctor.js';
import { embeddedDriver, kindDriver, kubeconfigDriver } from '../src/drivers/embedded.js';
import { labNames, loadScenario } from '../src/labs.js';

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

describe('prerequisites of a lab run', () => {
  it('a lab on a cluster from a kubeconfig or kind asks this machine only for what the lab itself runs; the embedded cluster adds what building it takes', async () => {
    const building = ['privileges', 'util-linux', 'netns', 'veth-bridge', 'iptables'];
    expect(kubeconfigDriver('/nonexistent').needs).toEqual([]);
    expect(kindDriver('svclab').needs).toEqual([]);
    expect(embeddedDriver('svclab').needs).toEqual(expect.arrayContaining(building));
    for (const name of labNames()) {
      const { needs } = await loadScenario(name);
      expect(needs.filter((n) => building.includes(n)), `lab ${name}`).toEqual([]);
    }
  });
});
