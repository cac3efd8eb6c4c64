// Figure 2: an endpoint change shifts the traffic without a reload. The echo Service's selector is
// switched between the a and b pods; each switch is timed from the API write (just before the PUT is
// sent) to the first answer from the other group that the client host receives through the NodePort
// (the probe polls every POLL_MS). The controller's reload counter (nginx_ingress_controller_success
// on :10254) and its nginx workers' pids are read before and after all switches: unchanged means no
// reload happened, and the dynamic-update counter says the endpoints were pushed to Lua instead.
import { workerPids } from '../../../ingress/src/nginx/processes.js';
import { controllerMetric, HOST, NS, nodeUrl, SERVICE, type BenchCluster, type Group } from './ingress-cluster.js';

export const POLL_MS = 20;
/** requests after the first new-group answer that must all come from the new group */
export const CONFIRM = 5;
const PAUSE_MS = 300;

export interface ShiftFigure {
  ms: number[];
  /** answers from the old group among the CONFIRM requests after the first new one, per switch */
  stale: number[];
  reloads: [number, number];
  dynamicUpdates: [number, number];
  workers: [number[], number[]];
  failed?: string;
}

const now = () => performance.timeOrigin + performance.now();

export async function measureShift(b: BenchCluster, switches: number, progress: (s: string) => void): Promise<ShiftFigure> {
  const c = b.controller;
  const fig: ShiftFigure = { ms: [], stale: [], reloads: [0, 0], dynamicUpdates: [0, 0], workers: [workerPids(c.nginxMaster), []] };
  fig.reloads[0] = await controllerMetric(c, 'nginx_ingress_controller_success');
  fig.dynamicUpdates[0] = await controllerMetric(c, 'nginx_ingress_controller_dynamic_updates');
  let group: Group = 'a';
  try {
    for (let i = 0; i < switches; i++) {
      const next: Group = group === 'a' ? 'b' : 'a';
      progress(`selector switch ${i + 1}/${switches}: ${group} → ${next}`);
      const svc = await b.core.readNamespacedService({ name: SERVICE, namespace: NS });
      await b.probe.ask({ op: 'until', url: nodeUrl(c), host: HOST, status: 200, match: `From=echo-${next}-`, everyMs: POLL_MS, timeoutMs: 10_000, confirm: CONFIRM });
      svc.spec!.selector = { app: 'echo', group: next };
      const t0 = now();
      await b.core.replaceNamespacedService({ name: SERVICE, namespace: NS, body: svc });
      const r = await b.probe.next<{ at: number; stale: number }>(15_000);
      fig.ms.push(r.at - t0);
      fig.stale.push(r.stale);
      group = next;
      await new Promise((res) => setTimeout(res, PAUSE_MS));
    }
  } finally {
    // leave the Service on the a pods, where figure 3 expects them
    if (group !== 'a') {
      const svc = await b.core.readNamespacedService({ name: SERVICE, namespace: NS });
      svc.spec!.selector = { app: 'echo', group: 'a' };
      await b.core.replaceNamespacedService({ name: SERVICE, namespace: NS, body: svc }).catch(() => undefined);
    }
  }
  fig.reloads[1] = await controllerMetric(c, 'nginx_ingress_controller_success');
  fig.dynamicUpdates[1] = await controllerMetric(c, 'nginx_ingress_controller_dynamic_updates');
  fig.workers[1] = workerPids(c.nginxMaster);
  return fig;
}
