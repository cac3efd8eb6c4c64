// A keyed work queue: one sync per key at a time, and changes that arrive while a key is being
// synced coalesce into one more sync (client-go workqueue semantics, minus rate limiting).
export class WorkQueue {
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly sync: (key: string) => Promise<void>, private readonly onError: (key: string, e: unknown) => void = () => undefined) {}

  add(key: string): void {
    if (this.running.has(key)) { this.dirty.add(key); return; }
    this.running.add(key);
    void this.run(key);
  }

  private async run(key: string): Promise<void> {
    for (;;) {
      try {
        await this.sync(key);
      } catch (e) {
        this.onError(key, e);
        await new Promise((r) => setTimeout(r, 200));
        this.dirty.add(key);
      }
      if (!this.dirty.delete(key)) break;
    }
    this.running.delete(key);
    if (this.running.size === 0) { this.idleWaiters.forEach((w) => w()); this.idleWaiters = []; }
  }

  idle(): Promise<void> {
    return this.running.size === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }
}
