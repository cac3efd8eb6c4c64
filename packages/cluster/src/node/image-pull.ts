// kubelet's image pull back-off: a pull that fails is ErrImagePull, then ImagePullBackOff until the
// next attempt, 10 s after the first failure and doubling up to 5 min. Without it a pod with an
// unknown image is retried on every update of its own status: a busy loop of events.
export const PULL_BACKOFF_BASE_MS = 10_000;
export const PULL_BACKOFF_MAX_MS = 300_000;

interface Entry { failures: number; backOffAt: number; retryAt: number; timers: NodeJS.Timeout[] }

/** how long ErrImagePull shows before the pod turns to ImagePullBackOff (kubelet's next pod sync) */
const SHOW_ERROR_MS = 2_000;

export class PullBackoff {
  private readonly entries = new Map<string, Entry>();

  /** `wake(uid)` makes the agent sync the pod again (the back-off reported, or its attempt due) */
  constructor(private readonly wake: (uid: string) => void, private readonly baseMs = PULL_BACKOFF_BASE_MS, private readonly maxMs = PULL_BACKOFF_MAX_MS) {}

  /**
   * 'pull': no attempt failed yet, or the back-off after the last one is over; 'error-shown': an attempt
   * has just failed (the pod shows ErrImagePull); 'back-off': until the next attempt (ImagePullBackOff)
   */
  state(uid: string, now = Date.now()): 'pull' | 'error-shown' | 'back-off' {
    const e = this.entries.get(uid);
    if (!e || now >= e.retryAt) return 'pull';
    return now < e.backOffAt ? 'error-shown' : 'back-off';
  }

  /** records a failed attempt; returns the back-off before the next one */
  failed(uid: string, now = Date.now()): number {
    const e = this.entries.get(uid) ?? { failures: 0, backOffAt: 0, retryAt: 0, timers: [] };
    for (const t of e.timers) clearTimeout(t);
    const delay = Math.min(this.baseMs * 2 ** e.failures, this.maxMs);
    e.failures++;
    e.retryAt = now + delay;
    e.backOffAt = now + Math.min(SHOW_ERROR_MS, delay);
    // a little after the failure the pod turns to ImagePullBackOff; at retryAt the next attempt is due
    e.timers = [setTimeout(() => this.wake(uid), e.backOffAt - now), setTimeout(() => this.wake(uid), delay)];
    for (const t of e.timers) t.unref();
    this.entries.set(uid, e);
    return delay;
  }

  /** the pod is gone, or its images are all there now */
  clear(uid: string): void {
    const e = this.entries.get(uid);
    if (!e) return;
    for (const t of e.timers) clearTimeout(t);
    this.entries.delete(uid);
  }
}
