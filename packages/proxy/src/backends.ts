// One place that knows every proxy mode: build a backend from the config, and clean up after the
// other modes when kube-proxy starts (a mode switch leaves the old mode's rules behind otherwise).
import { execa } from 'execa';
import type { Backend, BackendOptions } from './backend.js';
import type { ProxyConfig, ProxyMode } from './config.js';
import { IptablesProxier } from './iptables/proxier.js';
import { detectVariant, iptablesRunner } from './iptables/runner.js';
import { IpvsProxier } from './ipvs/proxier.js';
import { NftablesProxier } from './nftables/proxier.js';
import { UserspaceProxier } from './userspace/proxier.js';

export const MODES: ProxyMode[] = ['iptables', 'ipvs', 'nftables', 'userspace'];

async function iptablesSupportsRandomFully(): Promise<boolean> {
  const r = await execa('iptables', ['-j', 'MASQUERADE', '--help'], { reject: false });
  return r.stdout.includes('random-fully');
}

export function backendOptions(cfg: ProxyConfig): BackendOptions {
  return {
    nodeName: cfg.hostnameOverride, nodeIPs: [], nodePortAddresses: cfg.nodePortAddresses, clusterCIDR: cfg.clusterCIDR,
    masqueradeBit: cfg.masqueradeBit, masqueradeAll: cfg.masqueradeAll, ipvsScheduler: cfg.ipvsScheduler,
  };
}

export async function createBackend(mode: ProxyMode, opts: BackendOptions, cfg?: Pick<ProxyConfig, 'localhostNodePorts'>): Promise<Backend> {
  switch (mode) {
    case 'iptables':
      return new IptablesProxier({ ...opts, randomFully: await iptablesSupportsRandomFully(), localhostNodePorts: cfg?.localhostNodePorts ?? true }, iptablesRunner(await detectVariant()));
    case 'ipvs':
      return new IpvsProxier(opts);
    case 'nftables':
      return new NftablesProxier(opts);
    case 'userspace':
      return new UserspaceProxier(opts, iptablesRunner(await detectVariant()));
    default:
      throw new Error(`proxy mode "${mode}" is not available in svclab's kube-proxy`);
  }
}

/** Removes what the other modes left (upstream's cleanupLeftovers); failures are logged, not fatal. */
export async function cleanupOtherModes(mode: ProxyMode, opts: BackendOptions, log: (m: string) => void): Promise<void> {
  for (const other of MODES.filter((m) => m !== mode)) {
    try {
      const b = await createBackend(other, opts);
      if (b.hasLeftovers && !(await b.hasLeftovers())) continue;
      await b.cleanup();
    } catch (e) { log(`cleaning up ${other} mode's leftovers: ${(e as Error).message}`); }
  }
}
