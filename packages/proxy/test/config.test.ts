import { describe, expect, it } from 'vitest';
import { parseConfig, parseDuration } from '../src/config.js';

describe('KubeProxyConfiguration', () => {
  it('parses Go durations', () => {
    expect(parseDuration('1m0s', 0)).toBe(60_000);
    expect(parseDuration('500ms', 0)).toBe(500);
    expect(parseDuration(undefined, 30_000)).toBe(30_000);
  });

  it('applies upstream defaults and rejects an unknown mode with the choices', () => {
    const c = parseConfig('apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ""\n');
    expect(c).toMatchObject({ mode: 'iptables', masqueradeBit: 14, syncPeriodMs: 30_000, minSyncPeriodMs: 1_000, healthzBindAddress: '0.0.0.0:10256' });
    expect(() => parseConfig('mode: ebpf')).toThrow('invalid proxy mode "ebpf": must be one of iptables, ipvs, nftables, userspace');
  });
});
