// ipvs.scheduler: "" means rr (upstream's defaultScheduler). Upstream stopped checking the name
// against a list in v1.27 (kubernetes#114878) and instead tries a dummy virtual server with it (see
// kernel.ts); we also refuse names no Linux kernel has, so a typo fails with a message rather than
// the kernel's bare "no such file or directory".

/** the schedulers Linux can provide, one ip_vs_<name> module each (net/netfilter/ipvs/Kconfig) */
export const KERNEL_SCHEDULERS: Readonly<Record<string, string>> = {
  rr: 'round robin', wrr: 'weighted round robin', lc: 'least connection', wlc: 'weighted least connection',
  lblc: 'locality-based least connection', lblcr: 'locality-based least connection with replication',
  dh: 'destination hashing', sh: 'source hashing', sed: 'shortest expected delay', nq: 'never queue',
  fo: 'weighted failover', ovf: 'weighted overflow', mh: 'maglev hashing', twos: 'weighted random twos choice',
};

export const DEFAULT_SCHEDULER = 'rr';

export function resolveScheduler(configured: string): string {
  const name = configured || DEFAULT_SCHEDULER;
  if (!(name in KERNEL_SCHEDULERS)) {
    throw new Error(`invalid ipvs.scheduler "${configured}" in the kube-proxy config: the kernel's IPVS schedulers are ${Object.keys(KERNEL_SCHEDULERS).join(', ')}; "" means rr`);
  }
  return name;
}

/** the kernel module a scheduler lives in */
export const schedulerModule = (scheduler: string) => `ip_vs_${scheduler}`;
