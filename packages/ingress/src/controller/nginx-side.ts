// The controller's view of nginx: NginxRuntime (render, nginx -t, swap, reload, push backends), with
// the ConfigMap's process settings carried into the render environment before each apply, and the
// request counters nginx keeps (Lua, log phase) read from the status server for /metrics.
import type { IngressModel } from '../model.js';
import type { RenderEnv } from '../render/env.js';
import { NginxRuntime } from '../nginx/runtime.js';
import { statusRequest } from '../nginx/status-client.js';
import type { NginxSide } from './controller.js';
import type { RequestCount } from './metrics.js';
import type { Settings } from './settings.js';

export class RuntimeNginxSide implements NginxSide {
  readonly runtime: NginxRuntime;

  constructor(private readonly env: RenderEnv, private readonly log: (line: string) => void) {
    this.runtime = new NginxRuntime({ env, log });
  }

  private settle(s: Settings): void {
    // the runtime renders from this object on every apply, so a ConfigMap edit takes effect on the next reload
    this.env.workerShutdownTimeout = s.workerShutdownTimeout;
    this.env.workerProcesses = s.workerProcesses;
    this.env.defaults = s.defaults;
  }

  async start(model: IngressModel, settings: Settings): Promise<void> {
    this.settle(settings);
    try {
      await this.runtime.start(model);
    } catch (e) {
      // a configuration nginx or the renderer refuses must not keep nginx down: start empty (a
      // missing nginx fails again, and that error stands); the syncs that follow report the problem
      this.log(`nginx could not start with the configuration of what exists (${(e as Error).message.split('\n')[0]}); starting it with none`);
      await this.runtime.start();
    }
  }

  apply(model: IngressModel, settings: Settings) {
    this.settle(settings);
    return this.runtime.apply(model);
  }

  async requestCounts(): Promise<RequestCount[]> {
    const r = await statusRequest(this.runtime.status, 'GET', '/metrics-data');
    if (r.status !== 200) throw new Error(`nginx's status server answered ${r.status} to /metrics-data`);
    const data = JSON.parse(r.body) as { requests: Array<{ namespace: string; ingress: string; service: string; host: string; status: number; count: number }> };
    return data.requests.map((x) => ({ ...x, status: String(x.status) }));
  }

  configHash(): string { return this.runtime.counters.configHash ?? ''; }

  stop(): Promise<void> { return this.runtime.stop(); }
}
