// Figure 4: one configuration change at 1,000 Ingresses, applied by NginxRuntime in this process (no
// cluster): nginx on loopback high ports, state in a temp dir, the controller's defaults otherwise
// (worker_processes auto, upstream keepalive 320). The runtime is started on HOSTS × PATHS Ingresses;
// then each change adds one Ingress for a new host (a new server block, so a reload) and is timed from
// apply() to its promise resolving: render, nginx -t on the candidate, rename over the live file,
// SIGHUP, and the status server answering with the new checksum (the new workers serve). The parts
// are timed again on their own (render, nginx -t), outside the applies, to say where the time goes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { NginxRuntime } from '../../../ingress/src/nginx/runtime.js';
import { renderBackendsJson } from '../../../ingress/src/render/backends-json.js';
import { renderEnvFor } from '../../../ingress/src/render/env.js';
import { renderNginxConf } from '../../../ingress/src/render/nginx-conf.js';
import type { Guard } from './ingress-guard.js';
import { HOSTS, model, PATHS, snapshot } from './ingress-model.js';

export interface ReloadFigure {
  ingresses: number;
  workers: string;
  confBytes: number;
  confLines: number;
  servers: number;
  locations: number;
  jsonBytes: number;
  startMs: number;
  buildMs: number[];
  applyMs: number[];
  renderMs: number[];
  testMs: number[];
  failed?: string;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(0, '127.0.0.1', () => resolve()); });
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const time = async <T>(f: () => T | Promise<T>): Promise<[T, number]> => { const t0 = performance.now(); const v = await f(); return [v, performance.now() - t0]; };

/** `guard` registers a cleanup for a signal to run (nginx stopped, the state dir removed), and returns its removal */
export async function measureReload(changes: number, progress: (s: string) => void, guard: Guard): Promise<ReloadFigure> {
  const stateDir = await mkdtemp(join(tmpdir(), 'svb-ingress-reload-'));
  const env = renderEnvFor(stateDir, {
    bind: ['127.0.0.1'],
    ports: { http: await freePort(), https: await freePort(), status: await freePort(), defaultBackend: await freePort() },
    workerShutdownTimeout: 10,
    errorLogLevel: 'warn',
  });
  const logs: string[] = [];
  const runtime = new NginxRuntime({ env, log: (l) => { logs.push(l); if (logs.length > 50) logs.shift(); } });
  const cleanup = async () => { await runtime.stop(); await rm(stateDir, { recursive: true, force: true }); };
  const unguard = guard(cleanup, { dir: stateDir });
  let unguardPid = () => {};
  const fig: ReloadFigure = { ingresses: HOSTS * PATHS, workers: String(env.workerProcesses), confBytes: 0, confLines: 0, servers: 0, locations: 0, jsonBytes: 0, startMs: 0, buildMs: [], applyMs: [], renderMs: [], testMs: [] };
  try {
    progress(`building the model of ${fig.ingresses} Ingresses (${HOSTS} hosts × ${PATHS} paths), starting nginx on it`);
    const first = model(snapshot(0));
    [, fig.startMs] = await time(() => runtime.start(first));
    unguardPid = guard(async () => undefined, { nginx: runtime.pid });
    for (let k = 1; k <= changes; k++) {
      progress(`change ${k}/${changes}: one more Ingress (host x${k}.bench), applied`);
      const snap = snapshot(k);
      const [m, buildMs] = await time(() => model(snap));
      const [r, applyMs] = await time(() => runtime.apply(m));
      if (r.error || !r.reloaded) throw new Error(`apply ${k}: ${r.error ?? 'nginx was not reloaded'} (${logs.slice(-3).join(' | ')})`);
      fig.buildMs.push(buildMs);
      fig.applyMs.push(applyMs);
    }
    const workers = runtime.workerPids().length;
    fig.workers = `worker_processes ${env.workerProcesses} (${workers} worker${workers === 1 ? '' : 's'})`;
    progress('the parts on their own: render and nginx -t of the last configuration');
    const last = model(snapshot(changes));
    const conf = runtime.runningConfig!;
    fig.confBytes = Buffer.byteLength(conf);
    fig.confLines = conf.split('\n').length;
    fig.servers = (conf.match(/^\s*server \{$/gm) ?? []).length;
    fig.locations = (conf.match(/^\s*location /gm) ?? []).length;
    fig.jsonBytes = Buffer.byteLength(renderBackendsJson(last, env));
    const file = join(stateDir, 'bench-test.conf');
    await writeFile(file, conf);
    for (let i = 0; i < Math.max(3, changes); i++) {
      fig.renderMs.push((await time(() => renderNginxConf(last, env)))[1]);
      const [t, testMs] = await time(() => execa('nginx', ['-t', '-q', '-p', `${stateDir}/`, '-c', file], { reject: false }));
      if (t.exitCode !== 0) throw new Error(`nginx -t: ${t.stderr}`);
      fig.testMs.push(testMs);
    }
  } finally {
    unguardPid();
    unguard();
    await cleanup();
  }
  return fig;
}
