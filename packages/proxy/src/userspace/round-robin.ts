// Upstream's LoadBalancerRR (pkg/proxy/userspace/roundrobin.go) for one Service port: a cyclic index
// over the usable endpoints, and ClientIP session affinity. Pure: the caller passes the clock.

interface Affinity { endpoint: string; lastUsedMs: number }

export class RoundRobin {
  private endpoints: string[] = [];
  private index = 0;
  /** the endpoint handed out last by rotation, to resume after it when the set changes */
  private last?: string;
  private readonly affinity = new Map<string, Affinity>();

  /** affinitySeconds: sessionAffinity ClientIP timeout, 0 for None */
  constructor(private affinitySeconds = 0) {}

  /** "ip:port" strings, sorted as the model gives them */
  get current(): readonly string[] { return this.endpoints; }

  setAffinity(seconds: number): void {
    if (seconds === 0) this.affinity.clear();
    this.affinitySeconds = seconds;
  }

  /**
   * Replaces the endpoint set. An unchanged set keeps the rotation where it is. On a change, clients
   * pinned to an endpoint that left are forgotten (upstream's removeStaleAffinity) and the rotation
   * resumes at the first endpoint sorting after the one handed out last. Upstream restarts at index 0
   * of a freshly shuffled list; we keep the model's sorted order so the order is predictable, and
   * resuming (rather than restarting at 0) keeps a scale-up or a pod restart from sending the next
   * connection to the first endpoint every time.
   */
  setEndpoints(next: readonly string[]): void {
    if (next.length === this.endpoints.length && next.every((e, i) => e === this.endpoints[i])) return;
    const kept = new Set(next);
    for (const [client, a] of this.affinity) if (!kept.has(a.endpoint)) this.affinity.delete(client);
    const after = this.last === undefined ? -1 : next.findIndex((e) => e > this.last!);
    this.index = after < 0 ? 0 : after;
    this.endpoints = [...next];
  }

  /**
   * The endpoint for a new connection (TCP) or session (UDP) from clientIP, undefined when there is
   * none. resetAffinity: the previous pick failed to connect, so skip the client's pinned endpoint and
   * pin the next one instead (upstream's sessionAffinityReset).
   */
  pick(clientIP: string, nowMs: number, resetAffinity = false): string | undefined {
    if (this.endpoints.length === 0) return undefined;
    const sticky = this.affinitySeconds > 0;
    if (sticky && !resetAffinity) {
      const a = this.affinity.get(clientIP);
      // upstream: int(time.Since(lastUsed).Seconds()) < ttl, and every use renews it (a sliding window)
      if (a && nowMs - a.lastUsedMs < this.affinitySeconds * 1000) {
        a.lastUsedMs = nowMs;
        return a.endpoint;
      }
    }
    const endpoint = this.endpoints[this.index]!;
    this.index = (this.index + 1) % this.endpoints.length;
    this.last = endpoint;
    if (sticky) this.affinity.set(clientIP, { endpoint, lastUsedMs: nowMs });
    return endpoint;
  }

  /** forgets clients whose affinity expired (upstream's CleanupStaleStickySessions, run every sync) */
  cleanupStale(nowMs: number): void {
    for (const [client, a] of this.affinity) if (nowMs - a.lastUsedMs >= this.affinitySeconds * 1000) this.affinity.delete(client);
  }

  /** clients with a live affinity record (tests, debugging) */
  get pinnedClients(): number { return this.affinity.size; }
}
