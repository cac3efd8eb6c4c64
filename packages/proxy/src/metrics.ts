// kube-proxy's Prometheus metrics (pkg/proxy/metrics), in the text exposition format, under
// upstream's names: sync durations, the time from an endpoint change to its rules being live, and
// the last successful sync.
const BUCKETS = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384];

class Histogram {
  private readonly counts = BUCKETS.map(() => 0);
  private sum = 0;
  private count = 0;
  constructor(readonly name: string, readonly help: string) {}
  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    BUCKETS.forEach((b, i) => { if (seconds <= b) this.counts[i]!++; });
  }
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`,
      ...BUCKETS.map((b, i) => `${this.name}_bucket{le="${b}"} ${this.counts[i]}`), `${this.name}_bucket{le="+Inf"} ${this.count}`,
      `${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`].join('\n');
  }
}

export class ProxyMetrics {
  readonly syncDuration = new Histogram('kubeproxy_sync_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds');
  readonly fullSyncDuration = new Histogram('kubeproxy_sync_full_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds for full resyncs');
  readonly partialSyncDuration = new Histogram('kubeproxy_sync_partial_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds for partial resyncs');
  readonly networkProgramming = new Histogram('kubeproxy_network_programming_duration_seconds', 'In Cluster Network Programming Latency in seconds');
  lastSync = 0;
  syncFailures = 0;
  partialSyncFailures = 0;
  canaryResyncs = 0;

  render(): string {
    return [
      this.syncDuration.render(), this.fullSyncDuration.render(), this.partialSyncDuration.render(), this.networkProgramming.render(),
      '# HELP kubeproxy_sync_proxy_rules_last_timestamp_seconds The last time proxy rules were successfully synced',
      '# TYPE kubeproxy_sync_proxy_rules_last_timestamp_seconds gauge', `kubeproxy_sync_proxy_rules_last_timestamp_seconds ${this.lastSync}`,
      '# HELP kubeproxy_sync_proxy_rules_iptables_restore_failures_total Cumulative proxy iptables restore failures',
      '# TYPE kubeproxy_sync_proxy_rules_iptables_restore_failures_total counter', `kubeproxy_sync_proxy_rules_iptables_restore_failures_total ${this.syncFailures}`,
      '# HELP kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total Cumulative proxy iptables partial restore failures',
      '# TYPE kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total counter', `kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total ${this.partialSyncFailures}`,
      '# HELP kubeproxy_sync_full_proxy_rules_canary_resyncs_total Full resyncs after the canary chain went missing (svclab)',
      '# TYPE kubeproxy_sync_full_proxy_rules_canary_resyncs_total counter', `kubeproxy_sync_full_proxy_rules_canary_resyncs_total ${this.canaryResyncs}`,
    ].join('\n') + '\n';
  }
}
