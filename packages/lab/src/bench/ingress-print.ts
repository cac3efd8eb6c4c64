// The tables of `pnpm bench ingress`, one function per figure, in the proxy bench's style: what was
// measured and how first, the table, then notes (failures, what the columns mean).
import { table } from '../table.js';
import { CONFIRM, POLL_MS, type ShiftFigure } from './ingress-shift.js';
import type { NewHostFigure } from './ingress-new-host.js';
import type { ReloadFigure } from './ingress-reload.js';
import type { ThroughputFigure } from './ingress-throughput.js';
import { wrkArgs } from './ingress-wrk.js';

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
export const quantile = (xs: number[], q: number) => { const s = sorted(xs); return s[Math.min(s.length - 1, Math.floor(q * s.length))]!; };
export const median = (xs: number[]) => quantile(xs, 0.5);
const ms = (x: number) => (x < 999.5 ? `${x.toFixed(x < 9.95 ? 1 : 0)} ms` : `${(x / 1000).toFixed(2)} s`);
const spread = (xs: number[], f: (x: number) => string) => (xs.length > 1 ? ` [${f(Math.min(...xs))}–${f(Math.max(...xs))}]` : '');
const indent = (s: string) => s.split('\n').map((l) => `   ${l}`).join('\n');
const kb = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(1)} kB`);
const aim = (ok: boolean) => (ok ? 'met' : 'MISSED');

export function printThroughput(print: (s: string) => void, f: ThroughputFigure | undefined, failed: string | undefined): void {
  print('1. Throughput: the controller\'s nginx against a minimal nginx reverse proxy, to the same pods, interleaved (aim: controller/minimal ≥ 0.95)');
  if (!f || failed) { print(`   FAILED: ${failed ?? 'not measured'}`); print(''); return; }
  const w = f.wrk;
  print(`   both nginx in the controller pod's network namespace, ${f.workers} workers each; wrk in the namespace of the controller's node (${f.client}), to the pod IP over its veth:`);
  print(`     controller: ${f.controllerUrl} (Host echo.bench; its rendered location: Lua rewrite/balancer/log phases, ingress-nginx's proxy headers, upstream keepalive 320)`);
  print(`     minimal:    ${f.minimalUrl} (upstream of the same ${f.endpoints.length} pod endpoints ${f.endpoints.join(' ')}, proxy_pass; added for parity: upstream keepalive 320 +`);
  print('                 keepalive_requests 10000 as the controller\'s, proxy_http_version 1.1 + Connection "" (which keepalive needs), access_log off as the controller\'s)');
  print(`   wrk ${wrkArgs(w, '<url>', 'echo.bench').map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}; ${f.runs} runs of each, alternating controller, minimal, …, after a ${f.warmupSeconds} s warm-up of each`);
  const rows = [['controller (ingress)', f.controller], ['minimal nginx', f.minimal]] as const;
  const cells = rows.map(([name, rs]) => {
    const rps = rs.map((r) => r.rps);
    const errs = rs.reduce((n, r) => n + r.non2xx, 0);
    const sock = rs.map((r) => r.socketErrors).filter(Boolean);
    return [name, `${median(rps).toFixed(0)}${spread(rps, (x) => x.toFixed(0))}`, ms(median(rs.map((r) => r.p50Ms))), ms(median(rs.map((r) => r.p99Ms))),
      `${median(rs.map((r) => r.cpuUsPerRequest)).toFixed(0)} µs`, `${errs}${sock.length ? ` (socket errors: ${sock.join('; ')})` : ''}`, rps.map((x) => x.toFixed(0)).join(', ')];
  });
  print(indent(table(['PROXY', 'REQUESTS/S (MEDIAN [MIN–MAX])', 'p50', 'p99', 'WORKER CPU / REQUEST', 'NON-2XX', 'EACH RUN (REQ/S, IN ORDER)'], cells)));
  const ratio = median(f.controller.map((r) => r.rps)) / median(f.minimal.map((r) => r.rps));
  const pairs = f.controller.map((c, i) => (c.rps / f.minimal[i]!.rps).toFixed(2));
  print(`   controller / minimal requests/s: ${ratio.toFixed(2)} (aim ${aim(ratio >= 0.95)}); per interleaved pair: ${pairs.join(', ')}`);
  const pairMedian = median(f.controller.map((c, i) => c.rps / f.minimal[i]!.rps));
  const cpu = median(f.controller.map((r) => r.cpuUsPerRequest)) / median(f.minimal.map((r) => r.cpuUsPerRequest));
  print(`   median of the pairs' ratios: ${pairMedian.toFixed(2)}; p99 controller / minimal: ${(median(f.controller.map((r) => r.p99Ms)) / median(f.minimal.map((r) => r.p99Ms))).toFixed(2)}; worker CPU per request controller / minimal: ${cpu.toFixed(2)}`);
  print('   p50 and p99: medians over the runs of wrk\'s per-run figures; WORKER CPU / REQUEST: utime + stime of the proxy\'s nginx workers (their kernel');
  print('   networking included) over the run, divided by its requests: the cost of each proxy per request, less sensitive to other load than requests/s');
  print('   all of it shares the 2 CPUs: wrk, both nginx, the echo pods\' nginx, and this process (which runs the cluster and relays the pods\' access logs)');
  print('   where the controller\'s extra CPU goes (profiled apart from this bench, perf and config variants): its ingress-nginx request path: the Lua');
  print('   rewrite / balancer / log phases, X-Request-ID ($request_id: RAND_bytes and a getpid per request), 13 more proxy headers and their maps;');
  print('   the syscalls per request are the same for both (recvfrom, writev, getsockopt), and both reuse their upstream connections');
  print('');
}

export function printShift(print: (s: string) => void, f: ShiftFigure | undefined, failed: string | undefined): void {
  print('2. Endpoint change → traffic shifted, without a reload (aim: p50 and max ≤ 200 ms, no reload)');
  if (!f || failed) { print(`   FAILED: ${failed ?? 'not measured'}`); print(''); return; }
  print(`   the echo Service's selector switched a ↔ b (kubectl-style PUT of the Service): the EndpointSlice controller rewrites the slice, the ingress`);
  print(`   controller's informer sees it, its sync (50 ms debounce) pushes the backends JSON to Lua. Timed from the PUT being sent to the first answer`);
  print(`   "From=echo-<new>-…" at the client host (NodePort of the controller's node, polled every ${POLL_MS} ms, a new connection each)`);
  const sameWorkers = f.workers[0].join(',') === f.workers[1].join(',');
  const reloads = f.reloads[1] - f.reloads[0];
  const cells = [[String(f.ms.length), ms(median(f.ms)), ms(Math.max(...f.ms)), ms(Math.min(...f.ms)),
    `${f.stale.reduce((a, b) => a + b, 0)} of ${f.ms.length * CONFIRM}`, `${f.reloads[0]} → ${f.reloads[1]}`, `${f.dynamicUpdates[0]} → ${f.dynamicUpdates[1]}`,
    sameWorkers ? `unchanged (${f.workers[0].join(', ')})` : `CHANGED: ${f.workers[0].join(',')} → ${f.workers[1].join(',')}`]];
  print(indent(table(['SWITCHES', 'p50', 'MAX', 'MIN', 'OLD-POD ANSWERS AFTER', 'RELOADS (success counter)', 'DYNAMIC UPDATES', 'NGINX WORKER PIDS'], cells)));
  print(`   aim ${aim(median(f.ms) <= 200 && Math.max(...f.ms) <= 200)} for the time, ${reloads === 0 && sameWorkers ? 'no reload: met' : 'a reload happened: MISSED'}`);
  print(`   each switch: ${f.ms.map((x) => x.toFixed(0)).join(', ')} ms. OLD-POD ANSWERS AFTER: of the ${CONFIRM} requests right after the first new-pod answer, those an old pod answered`);
  print(`   the counters are the controller's /metrics on :10254 (nginx_ingress_controller_success, nginx_ingress_controller_dynamic_updates), read before and after`);
  print('');
}

export function printNewHosts(print: (s: string) => void, f: NewHostFigure | undefined, failed: string | undefined): void {
  print('3. New Ingress → first 200 for its host (aim: p95 ≤ 1 s)');
  if (!f || failed) { print(`   FAILED: ${failed ?? 'not measured'}`); print(''); return; }
  print(`   ${f.ms.length} Ingresses for new hosts new-<k>.bench → Service echo, created one after another (300 ms apart); timed from the POST being sent to the`);
  print(`   first 200 for that host at the client host (NodePort of the controller's node, polled every ${POLL_MS} ms; 404 from the catch-all until then)`);
  const cells = [[String(f.ms.length), ms(median(f.ms)), ms(quantile(f.ms, 0.95)), ms(Math.max(...f.ms)), ms(Math.min(...f.ms)), `${f.reloads[1] - f.reloads[0]}`]];
  print(indent(table(['INGRESSES', 'p50', 'p95', 'MAX', 'MIN', 'RELOADS'], cells)));
  print(`   aim ${aim(quantile(f.ms, 0.95) <= 1000)}; each: ${f.ms.map((x) => x.toFixed(0)).join(', ')} ms`);
  print('');
}

export function printReload(print: (s: string) => void, f: ReloadFigure | undefined, failed: string | undefined): void {
  print(`4. Render + nginx -t + reload at ${f?.ingresses ?? 1000} Ingresses (aim: ≤ 1 s)`);
  if (!f || failed) { print(`   FAILED: ${failed ?? 'not measured'}`); print(''); return; }
  print(`   NginxRuntime in this process, loopback high ports, temp state dir, ${f.workers}; started on 100 hosts × 10 paths (one Ingress and one Service`);
  print('   each); each change adds one Ingress for a new host (a new server block: a reload), timed from apply(model) to its promise: render, nginx -t,');
  print('   rename over the live nginx.conf, SIGHUP, until the status server answers with the new checksum (the new workers serve)');
  const applyP50 = median(f.applyMs);
  const rest = applyP50 - median(f.renderMs) - median(f.testMs);
  const cells = [[String(f.ingresses), `${kb(f.confBytes)}, ${(f.confLines / 1000).toFixed(0)}k lines`, `${ms(applyP50)}${spread(f.applyMs, ms)}`,
    ms(median(f.renderMs)), ms(median(f.testMs)), ms(rest), ms(median(f.buildMs)), String(f.applyMs.length)]];
  print(indent(table(['INGRESSES', 'nginx.conf', 'apply() p50 [MIN–MAX]', 'RENDER', 'nginx -t', 'REST (SWAP, SIGHUP, NEW WORKERS)', 'BUILD MODEL', 'CHANGES'], cells)));
  print(`   nginx.conf: ${f.servers} server blocks (the catch-all and the controller's two internal ones included), ${f.locations} location blocks (a Prefix path is two: "/p/" and = "/p", as ingress-nginx)`);
  print(`   aim ${aim(applyP50 <= 1000)}; each apply: ${f.applyMs.map((x) => x.toFixed(0)).join(', ')} ms; first start: ${ms(f.startMs)}; backends JSON ${kb(f.jsonBytes)} (pushed only when it changes)`);
  print('   RENDER and nginx -t: medians of the same steps run again on their own on the last configuration; REST = apply() − RENDER − nginx -t;');
  print('   BUILD MODEL (the Ingresses to the model, before apply) is the controller\'s sync work outside apply(), not in the apply() time');
  print('   nginx parses the whole configuration twice per change (nginx -t, then the master on SIGHUP). Its time grows with the location blocks:');
  print('   libnginx-mod-http-lua 0.10.23 (Debian 12) creates an OpenSSL context in every location\'s merge: most of nginx -t here (without the module the file parses in about a fifth of the time)');
  print('   (profiled apart from this bench: one SSL_CTX_new is about 150 µs on OpenSSL 3.0, and a parse makes one per location and server;');
  print('   lua-nginx-module shares the parent\'s context when a location sets no lua_ssl_* directive since openresty/lua-nginx-module#2196, June 2023)');
  print('');
}
