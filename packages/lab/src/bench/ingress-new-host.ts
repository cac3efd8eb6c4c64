// Figure 3: a new Ingress → its first 200. Ingresses for new hosts (new-<k>.bench → the echo Service)
// are created one after another; each is timed from the create (just before the POST is sent) to the
// first 200 for that host at the client host, through the controller's NodePort (polled every POLL_MS;
// until then the catch-all answers 404). Each new host is a new server block, so each is a reload:
// render, nginx -t, SIGHUP, the new workers answering.
import { controllerMetric, ingressFor, NS, nodeUrl, type BenchCluster } from './ingress-cluster.js';
import { POLL_MS } from './ingress-shift.js';

const PAUSE_MS = 300;

export interface NewHostFigure {
  ms: number[];
  reloads: [number, number];
  failed?: string;
}

const now = () => performance.timeOrigin + performance.now();

export async function measureNewHosts(b: BenchCluster, count: number, progress: (s: string) => void): Promise<NewHostFigure> {
  const c = b.controller;
  const fig: NewHostFigure = { ms: [], reloads: [await controllerMetric(c, 'nginx_ingress_controller_success'), 0] };
  for (let k = 1; k <= count; k++) {
    const host = `new-${k}.bench`;
    progress(`Ingress ${k}/${count}: ${host}`);
    await b.probe.ask({ op: 'until', url: nodeUrl(c), host, status: 200, everyMs: POLL_MS, timeoutMs: 20_000, confirm: 0 });
    const t0 = now();
    await b.net.createNamespacedIngress({ namespace: NS, body: ingressFor(`new-${k}`, host) });
    const r = await b.probe.next<{ at: number }>(25_000);
    fig.ms.push(r.at - t0);
    await new Promise((res) => setTimeout(res, PAUSE_MS));
  }
  fig.reloads[1] = await controllerMetric(c, 'nginx_ingress_controller_success');
  return fig;
}
