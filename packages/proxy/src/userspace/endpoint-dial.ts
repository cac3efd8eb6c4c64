// Upstream's TryConnectEndpoints (pkg/proxy/userspace/proxysocket.go): pick an endpoint, connect
// within a timeout, and on failure pick another with a longer timeout, four tries in all. This is
// what userspace mode has over iptables mode: a dead endpoint costs a retry, not a failed request.

/** upstream's endpointDialTimeout: one attempt per entry, each to the next endpoint the balancer gives */
export const DIAL_TIMEOUTS_MS: readonly number[] = [250, 500, 1000, 2000];

/** what the listener asks its Service port's balancer (round-robin.ts bound to the clock) */
export type PickEndpoint = (clientIP: string, resetAffinity: boolean) => string | undefined;

export type Dialed<T> =
  | { ok: true; endpoint: string; conn: T }
  | { ok: false; reason: 'no-endpoints' | 'all-failed'; errors: string[] };

export function splitEndpoint(endpoint: string): { host: string; port: number } {
  const i = endpoint.lastIndexOf(':');
  return { host: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)) };
}

/**
 * Connects to an endpoint of the Service port. `dial` must settle within its timeout (rejecting on a
 * refusal or a timeout). The first failure resets the client's affinity, so a pinned client moves
 * to a live endpoint and stays there.
 */
export async function dialEndpoint<T>(
  pick: PickEndpoint, clientIP: string, dial: (endpoint: string, timeoutMs: number) => Promise<T>,
  onFailure: (endpoint: string, error: Error) => void = () => undefined, timeoutsMs: readonly number[] = DIAL_TIMEOUTS_MS,
): Promise<Dialed<T>> {
  const errors: string[] = [];
  for (const timeoutMs of timeoutsMs) {
    const endpoint = pick(clientIP, errors.length > 0);
    if (endpoint === undefined) return { ok: false, reason: 'no-endpoints', errors };
    try {
      return { ok: true, endpoint, conn: await dial(endpoint, timeoutMs) };
    } catch (e) {
      errors.push(`${endpoint}: ${(e as Error).message}`);
      onFailure(endpoint, e as Error);
    }
  }
  return { ok: false, reason: 'all-failed', errors };
}
