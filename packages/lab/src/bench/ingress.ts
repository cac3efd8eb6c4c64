// `pnpm bench ingress [--quick]`: the ingress controller (packages/ingress) measured as issue 5 asks.
//   1. requests/s and p99 through the controller's nginx vs a minimal nginx to the same pods (wrk)
//   2. endpoint change → traffic shifted, without a reload
//   3. new Ingress → its first 200
//   4. render + nginx -t + reload at 1,000 Ingresses (in this process, no cluster)
// 1–3 run on an embedded cluster (svbing, with the ingress-nginx add-on) that is up only for them and is
// removed on success, on an error and on a signal; a detached reaper removes it if this process is killed.
// Progress goes to stderr; the figures are printed at the end. Ratios are of figures taken in this run.
import { cpus, loadavg, release, totalmem } from 'node:os';
import { execa } from 'execa';
import { CLUSTER, startBenchCluster, type BenchCluster } from './ingress-cluster.js';
import { startReaper, type Guard } from './ingress-guard.js';
import { measureNewHosts, type NewHostFigure } from './ingress-new-host.js';
import { printNewHosts, printReload, printShift, printThroughput } from './ingress-print.js';
import { measureReload, type ReloadFigure } from './ingress-reload.js';
import { measureShift, type ShiftFigure } from './ingress-shift.js';
import { measureThroughput, type ThroughputFigure } from './ingress-throughput.js';
import { wrkVersion } from './ingress-wrk.js';

export interface IngressBenchOptions { quick: boolean }

const PLANS = {
  full: { runs: 3, seconds: 10, warmupSeconds: 3, switches: 10, newHosts: 20, reloadChanges: 5 },
  quick: { runs: 2, seconds: 4, warmupSeconds: 2, switches: 4, newHosts: 6, reloadChanges: 3 },
};
const WRK = { threads: 2, connections: 64 };

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function version(cmd: string, args: string[]): Promise<string> {
  const r = await execa(cmd, args, { reject: false });
  return String(r.stderr || r.stdout).split('\n')[0]!.trim();
}

export async function benchIngress(o: IngressBenchOptions, print: (s: string) => void): Promise<void> {
  const plan = o.quick ? PLANS.quick : PLANS.full;
  const progress = (s: string) => process.stderr.write(`  … ${s}\n`);
  const t0 = performance.now();
  const startLoad = load();

  // what a signal must undo, newest last: the cluster (and the probe), the minimal nginx, figure 4's nginx
  const cleanups = new Set<() => Promise<void>>();
  const reaper = startReaper(CLUSTER);
  const guard: Guard = (fn, leftovers = {}) => {
    cleanups.add(fn);
    reaper.note(leftovers);
    return () => { cleanups.delete(fn); reaper.note(leftovers, true); };
  };
  // installed until the end: a terminal's Ctrl-C reaches this process twice (directly, and relayed by tsx)
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${sig}: stopping the bench's cluster ${CLUSTER} and its nginx processes\n`);
    void (async () => {
      for (const fn of [...cleanups].reverse()) await fn().catch(() => undefined);
      reaper.release();
      process.exit(130);
    })();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  /** after a signal nothing new starts: this waits for the handler's exit */
  const go = () => (stopping ? new Promise<never>(() => undefined) : Promise.resolve());

  let throughput: ThroughputFigure | undefined; let throughputFailed: string | undefined;
  let shift: ShiftFigure | undefined; let shiftFailed: string | undefined;
  let newHosts: NewHostFigure | undefined; let newHostsFailed: string | undefined;
  let reload: ReloadFigure | undefined; let reloadFailed: string | undefined;
  let setup = '';
  try {
    let bench: BenchCluster | undefined;
    try {
      bench = await startBenchCluster(progress, guard);
      const c = bench.controller;
      setup = `controller pod ${c.pod.metadata!.name} (${c.podIP}) on ${c.node.name} (${c.node.ip}), http NodePort ${c.httpNodePort}; ` +
        `echo pods a: ${bench.pods.a.map((p) => `${p.ip} on ${p.node}`).join(', ')}; b: ${bench.pods.b.map((p) => `${p.ip} on ${p.node}`).join(', ')}`;
      await go();
      try { throughput = await measureThroughput(bench, { runs: plan.runs, warmupSeconds: plan.warmupSeconds, wrk: { ...WRK, seconds: plan.seconds } }, progress, guard); }
      catch (e) { throughputFailed = errorText(e); progress(`figure 1 failed: ${throughputFailed}`); }
      await go();
      try { shift = await measureShift(bench, plan.switches, progress); }
      catch (e) { shiftFailed = errorText(e); progress(`figure 2 failed: ${shiftFailed}`); }
      await go();
      try { newHosts = await measureNewHosts(bench, plan.newHosts, progress); }
      catch (e) { newHostsFailed = errorText(e); progress(`figure 3 failed: ${newHostsFailed}`); }
    } catch (e) {
      await go();
      const why = `the cluster could not be set up: ${errorText(e)}`;
      progress(why);
      throughputFailed ??= why; shiftFailed ??= why; newHostsFailed ??= why;
    } finally {
      if (bench) {
        progress(`stopping the cluster ${CLUSTER}`);
        await bench.stop();
      }
    }
    await go();
    try { reload = await measureReload(plan.reloadChanges, progress, guard); }
    catch (e) { reloadFailed = errorText(e); progress(`figure 4 failed: ${reloadFailed}`); }
    await go();
  } finally {
    if (!stopping) {
      reaper.release();
      for (const s of signals) process.off(s, onSignal);
    }
  }

  const cpu = cpus();
  print(`ingress controller (packages/ingress), measured by: pnpm bench ingress${o.quick ? ' --quick' : ''}`);
  print(`  machine: ${cpu[0]?.model.trim() ?? '?'} × ${cpu.length} CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Linux ${release()}, node ${process.version}; load average at the start ${startLoad}, at the end ${load()}`);
  const lua = await execa('dpkg-query', ['-W', '-f', '${Version}', 'libnginx-mod-http-lua'], { reject: false });
  print(`  tools: ${await version('nginx', ['-v'])}, libnginx-mod-http-lua ${lua.exitCode === 0 ? lua.stdout : '?'}; ${await wrkVersion()}`);
  print(`  cluster (figures 1–3): embedded ${CLUSTER}, 3 nodes, kube-proxy iptables, ingress-nginx add-on (1 controller pod); echo Deployments a and b, 2 pods each`);
  print(`    (amsy810/echo-nginx: 1 nginx worker, access log to stdout); Service echo selects a; Ingress echo.bench → echo:80`);
  if (setup) print(`    ${setup}`);
  print(`  ${o.quick ? 'quick run (--quick): fewer and shorter runs' : 'full run'}: wrk ${plan.runs} × ${plan.seconds} s per proxy, ${plan.switches} selector switches, ${plan.newHosts} new Ingresses, ${plan.reloadChanges} reloads at 1k; total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  print('');
  printThroughput(print, throughput, throughputFailed);
  printShift(print, shift, shiftFailed);
  printNewHosts(print, newHosts, newHostsFailed);
  printReload(print, reload, reloadFailed);
}
