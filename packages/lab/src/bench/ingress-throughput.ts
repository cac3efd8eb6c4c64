// Figure 1: requests/s and p99 through the controller's nginx against a minimal nginx reverse proxy to
// the same pods. Both listen in the controller pod's network namespace (controller :80, minimal :18080);
// wrk runs in the network namespace of the controller's node and reaches both at the pod IP, over the
// same veth. Runs alternate A, B, A, B… after one unmeasured warm-up of each, so the machine's load
// weighs on both alike; the ratio is of the medians. Each run also reads the CPU time the proxy's
// workers spent (utime + stime from /proc, kernel networking in their context included) per request:
// less sensitive than requests/s to what else runs on the machine.
import { readFileSync } from 'node:fs';
import { childPids, workerPids } from '../../../ingress/src/nginx/processes.js';
import { HOST, inNetns, PORT, serviceEndpoints, type BenchCluster } from './ingress-cluster.js';
import type { Guard } from './ingress-guard.js';
import { MINIMAL_PORT, MinimalNginx } from './ingress-minimal.js';
import { runWrk, type WrkOptions, type WrkResult } from './ingress-wrk.js';

export interface Run extends WrkResult { cpuUsPerRequest: number }

/** CPU time (ms) of an nginx master's children so far; USER_HZ is 100 on Linux */
function workersCpuMs(master: number): number {
  let ticks = 0;
  for (const pid of childPids(master)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 (state): utime is field 14, stime 15
      ticks += Number(f[11]) + Number(f[12]);
    } catch { /* gone */ }
  }
  return ticks * 10;
}

async function measured(master: number, run: () => Promise<WrkResult>): Promise<Run> {
  const before = workersCpuMs(master);
  const r = await run();
  return { ...r, cpuUsPerRequest: ((workersCpuMs(master) - before) * 1000) / Math.max(1, r.requests) };
}

export interface ThroughputOptions { runs: number; warmupSeconds: number; wrk: WrkOptions }

export interface ThroughputFigure {
  wrk: WrkOptions;
  runs: number;
  warmupSeconds: number;
  workers: number;
  endpoints: string[];
  /** where wrk runs, and the two targets */
  client: string;
  controllerUrl: string;
  minimalUrl: string;
  controller: Run[];
  minimal: Run[];
  failed?: string;
}

/** `guard` registers a cleanup for a signal to run, and returns its removal */
export async function measureThroughput(b: BenchCluster, o: ThroughputOptions, progress: (s: string) => void, guard: Guard): Promise<ThroughputFigure> {
  const c = b.controller;
  const endpoints = (await serviceEndpoints(b)).map((ip) => `${ip}:${PORT}`);
  const workers = workerPids(c.nginxMaster).length;
  const fig: ThroughputFigure = {
    wrk: o.wrk, runs: o.runs, warmupSeconds: o.warmupSeconds, workers, endpoints, client: c.node.name,
    controllerUrl: `http://${c.podIP}:80/`, minimalUrl: `http://${c.podIP}:${MINIMAL_PORT}/`, controller: [], minimal: [],
  };
  if (workers === 0) throw new Error(`the controller's nginx (master ${c.nginxMaster}) has no workers`);
  progress(`minimal nginx in the controller pod's namespace: ${workers} workers, upstream ${endpoints.join(' ')}`);
  const minimal = await MinimalNginx.start(c.netns, workers, endpoints);
  const unguard = guard(() => minimal.stop(), { dir: minimal.dir, nginx: minimal.pid });
  try {
    for (const [what, url] of [['controller', fig.controllerUrl], ['minimal', fig.minimalUrl]] as const) {
      const r = await inNetns(c.node.name, 'curl', ['-s', '--max-time', '2', '-H', `Host: ${HOST}`, url]);
      if (!String(r.stdout).includes('From=echo-a-')) throw new Error(`the ${what} nginx at ${url} did not answer from an a pod: ${String(r.stdout).slice(0, 200) || `curl exit ${r.exitCode}`}`);
    }
    progress(`wrk warm-up: ${o.warmupSeconds} s each`);
    await runWrk(c.node.name, { ...o.wrk, seconds: o.warmupSeconds }, fig.controllerUrl, HOST);
    await runWrk(c.node.name, { ...o.wrk, seconds: o.warmupSeconds }, fig.minimalUrl, HOST);
    for (let r = 0; r < o.runs; r++) {
      progress(`wrk run ${r + 1}/${o.runs}: controller ${o.wrk.seconds} s, then minimal ${o.wrk.seconds} s`);
      fig.controller.push(await measured(c.nginxMaster, () => runWrk(c.node.name, o.wrk, fig.controllerUrl, HOST)));
      fig.minimal.push(await measured(minimal.pid!, () => runWrk(c.node.name, o.wrk, fig.minimalUrl, HOST)));
    }
  } finally {
    unguard();
    await minimal.stop();
  }
  return fig;
}
