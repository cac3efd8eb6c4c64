// KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1) with upstream's defaults
// (pkg/proxy/apis/config/v1alpha1/defaults.go).
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';

export type ProxyMode = 'iptables' | 'ipvs' | 'nftables' | 'userspace';

export interface ProxyConfig {
  mode: ProxyMode;
  clusterCIDR: string;
  kubeconfig?: string;
  hostnameOverride?: string;
  masqueradeBit: number;
  masqueradeAll: boolean;
  syncPeriodMs: number;
  minSyncPeriodMs: number;
  healthzBindAddress: string;
  metricsBindAddress: string;
  /** CIDRs whose local addresses answer NodePorts; empty: every local address */
  nodePortAddresses: string[];
  /** iptables.localhostNodePorts (upstream default true) */
  localhostNodePorts: boolean;
  /** ipvs.scheduler; "" means rr */
  ipvsScheduler: string;
}

/** Go duration strings as the config file carries them ("30s", "1m0s", "500ms"). */
export function parseDuration(d: string | undefined, fallbackMs: number): number {
  if (!d) return fallbackMs;
  let ms = 0;
  for (const [, n, unit] of d.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    ms += Number(n) * ({ h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as Record<string, number>)[unit!]!;
  }
  return ms;
}

export function parseConfig(text: string): ProxyConfig {
  const c = (yaml.load(text) ?? {}) as Record<string, any>;
  if (c.kind && c.kind !== 'KubeProxyConfiguration') throw new Error(`unexpected kind "${c.kind}" in the kube-proxy config; want KubeProxyConfiguration`);
  const mode = (c.mode || 'iptables') as ProxyMode;
  if (!['iptables', 'ipvs', 'nftables', 'userspace'].includes(mode)) throw new Error(`invalid proxy mode "${mode}": must be one of iptables, ipvs, nftables, userspace`);
  return {
    mode,
    clusterCIDR: c.clusterCIDR ?? '',
    kubeconfig: c.clientConnection?.kubeconfig || undefined,
    hostnameOverride: c.hostnameOverride || undefined,
    masqueradeBit: c.iptables?.masqueradeBit ?? 14,
    masqueradeAll: c.iptables?.masqueradeAll ?? false,
    syncPeriodMs: parseDuration(c.iptables?.syncPeriod ?? c.syncPeriod, 30_000),
    minSyncPeriodMs: parseDuration(c.iptables?.minSyncPeriod ?? c.minSyncPeriod, 1_000),
    healthzBindAddress: c.healthzBindAddress || '0.0.0.0:10256',
    metricsBindAddress: c.metricsBindAddress || '127.0.0.1:10249',
    nodePortAddresses: Array.isArray(c.nodePortAddresses) ? c.nodePortAddresses.map(String) : [],
    ipvsScheduler: c.ipvs?.scheduler ?? '',
    localhostNodePorts: c.iptables?.localhostNodePorts ?? true,
  };
}

export function loadConfig(path: string): ProxyConfig {
  return parseConfig(readFileSync(path, 'utf8'));
}
