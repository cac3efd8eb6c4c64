// Statistical checks for claims about random load balancing (iptables picks endpoints at random).

/** Pearson's chi-square statistic of observed counts against a uniform spread. */
export function chiSquareUniform(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

/** Critical values of chi-square at p = 0.001 (a correct spread fails 1 run in 1000) by degrees of freedom. */
const CRITICAL_0_001: Record<number, number> = { 1: 10.828, 2: 13.816, 3: 16.266, 4: 18.467, 5: 20.515 };

export function looksUniform(counts: number[]): { ok: boolean; statistic: number; critical: number } {
  const critical = CRITICAL_0_001[counts.length - 1] ?? Infinity;
  const statistic = chiSquareUniform(counts);
  return { ok: statistic < critical, statistic, critical };
}
