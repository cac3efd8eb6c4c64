// `pnpm bench proxy [--sizes 1000,5000,10000] [--quick]`: svclab's kube-proxy backends measured in
// network namespaces this bench creates (svb-<id>-*) and removes, also on an error or a signal.
//   1. full sync() at each size, against the raw restore (same tool, same text, fresh namespace)
//   2. a partial sync() after one Service change, at the largest size
//   3. Service change → rules in the kernel, 50 single-Service changes at the smallest size
//   4. first-packet (TCP connect) latency through a ClusterIP, the last Service of the rule list
//   5. bulk TCP throughput through a ClusterIP: iptables against userspace
// Progress goes to stderr; the figures are printed at the end. Each ratio is of two figures taken
// in the same run, interleaved, so the load of the machine weighs on both alike.
import { cpus, loadavg, release, totalmem } from 'node:os';
import { execa } from 'execa';
import { IptablesProxier } from '../../../proxy/src/iptables/proxier.js';
import type { ServicePort } from '../../../proxy/src/service-ports.js';
import { table } from '../table.js';
import { iptablesSubject, nftablesSubject, BACKEND_OPTIONS, type Bound, type Subject } from './proxy-backends.js';
import { generateModel, newService, SERVER_ENDPOINTS, target, TARGET_PORT, withMovedEndpoint } from './proxy-model.js';
import { Lines } from '@svclab/kube';
import { Namespaces, type Pair } from './proxy-netns.js';
import { loadNftables, type NftModule } from './proxy-nft.js';

export interface ProxyBenchOptions {
  /** Service counts for the full-sync figure; the partial-sync figure uses the largest, the change-latency figure the smallest */
  sizes: number[];
}

export const DEFAULT_SIZES = [1000, 5000, 10_000];
/** iptables-nft only up to here: its restore is super-linear (reference §1.9) */
const IPTABLES_NFT_MAX = 1000;
/** more runs only while one run (sync + raw) stays under this */
const CHEAP_RUN_MS = 60_000;
const runsFor = (size: number) => (size <= 1000 ? 5 : 3);
const PARTIAL_CHANGES = 3;
const CHANGES = 50;
const CONNECTS = 1000;
const CONNECT_WARMUP = 100;
const TRANSFER_MB = 200;
const TRANSFER_RUNS = 3;
/** building a state the backend cannot write in one sync: this many Services per partial sync */
const CHUNK = 1000;

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const quantile = (xs: number[], q: number) => { const s = sorted(xs); return s[Math.min(s.length - 1, Math.floor(q * s.length))]!; };
const median = (xs: number[]) => quantile(xs, 0.5);
const fmt = (ms: number) => (ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
const bytesText = (bytes: number) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`);
const kilo = (n: number) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
const spread = (xs: number[]) => (xs.length > 1 ? ` [${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}]` : '');
const errorText = (e: unknown) => (e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e)).split('\n')[0]!.slice(0, 200);

interface FullRow { subject: string; size: number; lines: number; bytes: number; sync: number[]; inSync: number[]; raw: number[]; failed?: string; rawNote?: string }
interface PartialRow { subject: string; size: number; sync: number[]; inSync: number[]; written: string; bytes: number; full?: number; failed?: string }
interface ChangeRow { subject: string; size: number; ms: number[]; inSync: number[]; visible: number; failed?: string }
interface ConnectRow { path: string; size?: number; us: number[]; failed?: string }

/** a backend's follow-up state: the namespace of its first full sync, with the model it holds */
interface World { ns: string; pair?: Pair; bound: Bound; model: ServicePort[]; fullMs?: number }

export async function benchProxy(o: ProxyBenchOptions, print: (s: string) => void): Promise<void> {
  const sizes = [...new Set(o.sizes)].sort((a, b) => a - b);
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 12_000)) throw new Error('--sizes takes Service counts from 1 to 12000, e.g. --sizes 1000,5000');
  const smallest = sizes[0]!;
  const largest = sizes.at(-1)!;
  const lab = new Namespaces();
  lab.guard();
  const progress = (s: string) => process.stderr.write(`  … ${s}\n`);
  // stays installed until the cleanup is done: a terminal's Ctrl-C reaches this process twice (directly,
  // and relayed by tsx), and a second signal without a handler would end it halfway through
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${sig}: removing the bench's namespaces (svb-${lab.id}-*) and processes\n`);
    void lab.cleanup().finally(() => process.exit(130));
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  const t0 = performance.now();
  try {
    const legacy = await iptablesSubject('legacy');
    const iptNft = await iptablesSubject('nft');
    const nftLoad = await loadNftables();
    let nftables: Subject | undefined;
    let nftMissing = nftLoad.ok ? undefined : `nftables backend not present (${nftLoad.why})`;
    if (nftLoad.ok) {
      nftables = nftablesSubject(nftLoad.module);
      const ns = await lab.create('probe');
      try { await nftables.bind(ns).backend.check(); } catch (e) { nftMissing = `nftables backend not usable here: ${errorText(e)}`; nftables = undefined; }
      await lab.remove(ns);
    }

    await header(print, lab.id, sizes, nftMissing);
    await warmUp(nftables && nftLoad.ok ? nftLoad.module : undefined, progress);

    const full: FullRow[] = [];
    const partial: PartialRow[] = [];
    const changes: ChangeRow[] = [];
    const connects: ConnectRow[] = [];

    progress('first-packet floor: a namespace pair without rules');
    connects.push(await floor(lab));

    const plan: Array<{ subject: Subject; sizes: number[]; connect: boolean; partial: boolean }> = [
      { subject: legacy, sizes, connect: true, partial: true },
      { subject: iptNft, sizes: sizes.filter((n) => n <= IPTABLES_NFT_MAX), connect: false, partial: false },
      ...(nftables ? [{ subject: nftables, sizes, connect: true, partial: true }] : []),
    ];
    for (const p of plan) {
      for (const size of p.sizes) {
        const first = size === p.sizes[0];
        const last = size === p.sizes.at(-1);
        const needConnect = p.connect && (first || last);
        const needPartial = p.partial && size === largest;
        const needChanges = first && size === smallest;
        const keep = needConnect ? 'pair' : needPartial || needChanges ? 'ns' : undefined;
        let world: World | undefined;
        try {
          const r = await fullSyncs(lab, p.subject, size, keep, progress);
          full.push(r.row);
          world = r.world;
          if (!world) {
            if (keep) throw new Error(`no state to measure: ${r.row.failed ?? 'the full sync failed'}`);
            continue;
          }
          if (needConnect) {
            progress(`${p.subject.label} ${kilo(size)}: ${CONNECTS} connects to the last Service's ClusterIP`);
            connects.push({ path: p.subject.label, size, us: await connectLatency(lab, world.pair!, target(world.model).clusterIP) });
          }
          if (needPartial) partial.push(await partialSyncs(p.subject, world, progress));
          if (needChanges) changes.push(await changeLatency(p.subject, world, progress));
        } catch (e) {
          const failed = errorText(e);
          progress(`${p.subject.label} ${kilo(size)} failed: ${failed}`);
          if (!full.some((f) => f.subject === p.subject.label && f.size === size)) full.push({ subject: p.subject.label, size, lines: 0, bytes: 0, sync: [], inSync: [], raw: [], failed });
          if (needConnect && !connects.some((c) => c.path === p.subject.label && c.size === size)) connects.push({ path: p.subject.label, size, us: [], failed });
          if (needPartial && !partial.some((c) => c.subject === p.subject.label)) partial.push({ subject: p.subject.label, size, sync: [], inSync: [], written: '', bytes: 0, failed });
          if (needChanges && !changes.some((c) => c.subject === p.subject.label)) changes.push({ subject: p.subject.label, size, ms: [], inSync: [], visible: 0, failed });
        } finally {
          if (world) await lab.remove(world.ns, ...(world.pair ? [world.pair.server] : []));
        }
      }
    }

    progress(`throughput: ${TRANSFER_RUNS} × ${TRANSFER_MB} MB through a ClusterIP, iptables-legacy and userspace`);
    const throughput = await throughputs(lab, legacy);

    printFull(print, full, sizes, nftMissing);
    printPartial(print, partial, largest, nftMissing);
    printChanges(print, changes, smallest, nftMissing);
    printConnects(print, connects, nftMissing);
    printThroughput(print, throughput);
    print('');
    print(`done in ${fmt(performance.now() - t0)}; load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    if (!stopping) {
      await lab.cleanup();
      for (const s of signals) process.off(s, onSignal);
    }
  }
}

async function version(cmd: string, args = ['--version']): Promise<string> {
  const r = await execa(cmd, args, { reject: false });
  return r.exitCode === 0 ? r.stdout.split('\n')[0]!.trim() : `${cmd}: not available`;
}

async function header(print: (s: string) => void, id: string, sizes: number[], nftMissing: string | undefined): Promise<void> {
  const cpu = cpus();
  const [legacy, nftVariant, nft] = await Promise.all([version('iptables-legacy'), version('iptables-nft'), version('nft')]);
  print(`kube-proxy backends (packages/proxy), measured in network namespaces svb-${id}-*`);
  print(`  machine: ${cpu[0]?.model.trim() ?? '?'} × ${cpu.length} CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Linux ${release()}, node ${process.version}; load average at the start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  print(`  tools: ${legacy}; ${nftVariant}; ${nft}`);
  print(`  model: ${sizes.map(kilo).join(' / ')} ClusterIP Services × 1 TCP port × 5 ready endpoints, Cluster traffic policies, no NodePorts; clusterCIDR ${BACKEND_OPTIONS.clusterCIDR}; iptables localhostNodePorts off`);
  print(`  variants: iptables-legacy at every size; iptables-nft at ≤ ${kilo(IPTABLES_NFT_MAX)} only (its restore is super-linear here: 48 s @5k, 483 s @10k, reference §1.9); nftables: ${nftMissing ?? 'NftablesProxier (packages/proxy/src/nftables)'}`);
  print(`  times are medians of the runs shown, each backend warmed up first (two 1k renders, nothing written); ratios are of figures taken in this run`);
  print('');
}

/** Two syncs of a 1k model per backend against a runner that writes nothing: the JIT's first pass is not what is timed. */
async function warmUp(nft: NftModule | undefined, progress: (s: string) => void): Promise<void> {
  progress('warming up the renderers');
  const model = generateModel(1000);
  for (let i = 0; i < 2; i++) await new IptablesProxier({ ...BACKEND_OPTIONS, randomFully: true, localhostNodePorts: false }, { save: async () => '', restore: async () => undefined }).sync(model);
  for (let i = 0; nft && i < 2; i++) {
    await nft.create(BACKEND_OPTIONS, { localAddresses: async () => [], run: async (args) => (args.includes('list') ? '{"nftables":[]}' : '') }).sync(model);
  }
}

/**
 * Figure 1 at one size: the backend's sync() in a fresh namespace, then the raw tool on the exact
 * text that sync wrote, in another fresh namespace; interleaved, `runsFor(size)` times while cheap.
 * The first run's namespace is kept (with a server behind it for `pair`) for the follow-up figures.
 */
async function fullSyncs(lab: Namespaces, subject: Subject, size: number, keep: 'pair' | 'ns' | undefined, progress: (s: string) => void): Promise<{ row: FullRow; world?: World }> {
  const model = generateModel(size);
  const row: FullRow = { subject: subject.label, size, lines: 0, bytes: 0, sync: [], inSync: [], raw: [] };
  let world: World | undefined;
  const runs = runsFor(size);
  for (let r = 0; r < runs; r++) {
    const pair = r === 0 && keep === 'pair' ? await lab.pair(SERVER_ENDPOINTS) : undefined;
    const ns = pair?.client ?? await lab.create(r === 0 && keep ? 'c' : 'f');
    const bound = subject.bind(ns);
    if (r === 0 && keep) world = { ns, pair, bound, model };
    progress(`${subject.label} ${kilo(size)}: full sync, run ${r + 1}/${runs}`);
    let syncMs: number;
    try {
      const t0 = performance.now();
      await bound.backend.sync(model);
      syncMs = performance.now() - t0;
    } catch (e) {
      row.failed = `sync() failed: ${errorText(e)}`;
      progress(`${subject.label} ${kilo(size)}: ${row.failed}`);
      if (world && bound.dump) {
        try {
          await rawFromKernel(lab, subject, world, row, progress);
          return { row, world };
        } catch (again) {
          row.failed += `; building the same state by partial syncs failed too: ${errorText(again)}`;
        }
      }
      await lab.remove(ns, ...(pair ? [pair.server] : []));
      return { row };
    }
    row.sync.push(syncMs);
    row.inSync.push(bound.last.ms);
    row.lines = bound.last.text.split('\n').length - 1;
    row.bytes = bound.last.text.length;
    if (world && r === 0) world.fullMs = syncMs;
    const rawNs = await lab.create('r');
    progress(`${subject.label} ${kilo(size)}: raw ${subject.tool}, run ${r + 1}/${runs}`);
    const rawMs = await subject.raw(rawNs, bound.last.text);
    row.raw.push(rawMs);
    await lab.remove(rawNs);
    if (!(r === 0 && keep)) await lab.remove(ns);
    if (syncMs + rawMs > CHEAP_RUN_MS) break;
  }
  return { row, world };
}

/**
 * When the backend cannot write the whole model in one sync, the follow-up figures still need the
 * state: it is built by partial syncs of CHUNK Services each (the end state is the same rules), and
 * the raw figure restores those rules as iptables-save prints them into a fresh namespace.
 */
async function rawFromKernel(lab: Namespaces, subject: Subject, world: World, row: FullRow, progress: (s: string) => void): Promise<void> {
  const { model, bound } = world;
  progress(`${subject.label} ${kilo(model.length)}: building the same state with partial syncs of ${CHUNK} Services`);
  for (let end = CHUNK; end < model.length + CHUNK; end += CHUNK) {
    const part = model.slice(0, Math.min(end, model.length));
    await bound.backend.sync(part, end === CHUNK ? undefined : new Set(model.slice(end - CHUNK, end).map((sp) => sp.name)));
  }
  const text = await bound.dump!();
  const rawNs = await lab.create('r');
  progress(`${subject.label} ${kilo(model.length)}: raw ${subject.tool} of that state's iptables-save`);
  row.raw.push(await subject.raw(rawNs, text));
  await lab.remove(rawNs);
  row.lines = text.split('\n').length - 1;
  row.bytes = text.length;
  row.rawNote = 'raw: the same rules as iptables-save prints them (built by partial syncs of 1k Services)';
}

/** Figure 2: one Service's endpoints change (a pod replaced), a partial sync each, PARTIAL_CHANGES times. */
async function partialSyncs(subject: Subject, world: World, progress: (s: string) => void): Promise<PartialRow> {
  const size = world.model.length;
  const row: PartialRow = { subject: subject.label, size, sync: [], inSync: [], written: '', bytes: 0, full: world.fullMs };
  for (let g = 0; g < PARTIAL_CHANGES; g++) {
    const index = Math.floor(size / 2) + g;
    world.model = withMovedEndpoint(world.model, index, g);
    progress(`${subject.label} ${kilo(size)}: partial sync ${g + 1}/${PARTIAL_CHANGES}`);
    const t0 = performance.now();
    await world.bound.backend.sync(world.model, new Set([world.model[index]!.name]));
    row.sync.push(performance.now() - t0);
    row.inSync.push(world.bound.last.ms);
    row.written = world.bound.written();
    row.bytes = world.bound.last.text.length;
  }
  return row;
}

/**
 * Figure 3: CHANGES new Services, one after another, each handed to the backend as its own partial
 * sync (no minSyncPeriod coalescing). Timed: from the sync() call, with the model already built, to
 * its promise resolving. The write is one iptables-restore / nft transaction, committed atomically
 * before the process exits, so the rule is in the kernel when sync() resolves; that is checked
 * after each one (iptables -C / nft get element, outside the timing).
 */
async function changeLatency(subject: Subject, world: World, progress: (s: string) => void): Promise<ChangeRow> {
  const row: ChangeRow = { subject: subject.label, size: world.model.length, ms: [], inSync: [], visible: 0 };
  progress(`${subject.label} ${kilo(row.size)}: ${CHANGES} single-Service changes`);
  const added: ServicePort[] = [];
  for (let k = 0; k < CHANGES; k++) {
    const sp = newService(k);
    added.push(sp);
    const model = [...world.model, ...added];
    const t0 = performance.now();
    await world.bound.backend.sync(model, new Set([sp.name]));
    row.ms.push(performance.now() - t0);
    row.inSync.push(world.bound.last.ms);
    if (await world.bound.visible(sp)) row.visible++;
  }
  return row;
}

/** A server in `pair.server` for as long as `f` runs. */
async function withServer<T>(lab: Namespaces, pair: Pair, f: () => Promise<T>): Promise<T> {
  const server = lab.script(pair.server, 'proxy-probe.ts', ['serve', String(TARGET_PORT)]);
  try {
    const line = await new Lines(server, 'the endpoint server').next(30_000);
    if (line !== 'ready') throw new Error(`the endpoint server said ${line}`);
    return await f();
  } finally {
    server.kill('SIGKILL');
    await server;
  }
}

async function connectLatency(lab: Namespaces, pair: Pair, ip: string, port = 80): Promise<number[]> {
  return withServer(lab, pair, async () => {
    const client = lab.script(pair.client, 'proxy-probe.ts', ['connect', ip, String(port), String(CONNECTS), String(CONNECT_WARMUP)]);
    return (await new Lines(client, `connect to ${ip}:${port}`).json<{ us: number[] }>(120_000)).us;
  });
}

/** Figure 4's floor: the same client and server, straight to an endpoint address, no rules at all. */
async function floor(lab: Namespaces): Promise<ConnectRow> {
  const pair = await lab.pair(SERVER_ENDPOINTS);
  try {
    return { path: 'no rules (straight to an endpoint)', us: await connectLatency(lab, pair, SERVER_ENDPOINTS[0]!, TARGET_PORT) };
  } catch (e) {
    return { path: 'no rules (straight to an endpoint)', us: [], failed: errorText(e) };
  } finally {
    await lab.remove(pair.client, pair.server);
  }
}

interface Throughput { path: string; mbps?: number; runs: number[]; failed?: string; note?: string }

async function send(lab: Namespaces, pair: Pair, ip: string): Promise<number[]> {
  const client = lab.script(pair.client, 'proxy-probe.ts', ['send', ip, '80', String(TRANSFER_MB * 1e6), String(TRANSFER_RUNS)]);
  return (await new Lines(client, `bulk transfer to ${ip}`).json<{ ms: number[] }>(300_000)).ms;
}

/** Figure 5: the same client and server, through one Service's ClusterIP, iptables-legacy then userspace. */
async function throughputs(lab: Namespaces, legacy: Subject): Promise<Throughput[]> {
  const model = generateModel(1);
  const ip = target(model).clusterIP;
  const out: Throughput[] = [];
  const mbps = (ms: number[]) => TRANSFER_MB / (median(ms) / 1000);
  let pair = await lab.pair(SERVER_ENDPOINTS);
  try {
    await legacy.bind(pair.client).backend.sync(model);
    const ms = await withServer(lab, pair, () => send(lab, pair, ip));
    out.push({ path: 'iptables-legacy (DNAT in the kernel)', mbps: mbps(ms), runs: ms });
  } catch (e) {
    out.push({ path: 'iptables-legacy (DNAT in the kernel)', runs: [], failed: errorText(e) });
  } finally {
    await lab.remove(pair.client, pair.server);
  }
  pair = await lab.pair(SERVER_ENDPOINTS);
  try {
    const proxy = lab.script(pair.client, 'proxy-userspace.ts', [JSON.stringify(BACKEND_OPTIONS), 'legacy']);
    const lines = new Lines(proxy, 'the userspace proxier');
    const ready = await lines.json<{ ready?: boolean }>(60_000);
    if (!ready.ready) throw new Error(`the userspace proxier said ${JSON.stringify(ready)}`);
    lines.send({ op: 'sync', ports: model });
    const synced = await lines.json<{ ok: boolean; error?: string }>(60_000);
    if (!synced.ok) throw new Error(`userspace sync failed: ${synced.error}`);
    const ms = await withServer(lab, pair, () => send(lab, pair, ip));
    out.push({ path: 'userspace (relayed by a node process)', mbps: mbps(ms), runs: ms });
    proxy.stdin!.end();
  } catch (e) {
    out.push({ path: 'userspace (relayed by a node process)', runs: [], failed: errorText(e) });
  } finally {
    await lab.remove(pair.client, pair.server);
  }
  return out;
}

function printFull(print: (s: string) => void, rows: FullRow[], sizes: number[], nftMissing: string | undefined): void {
  print('1. Full sync, Services × 5 endpoints: the backend\'s sync() end to end (list/save, render, restore) in a fresh namespace,');
  print('   against the raw tool on exactly the text that sync() wrote, in another fresh namespace (aim: ratio ≤ 1.1)');
  const notes: string[] = [];
  const cells = rows.map((r) => {
    if (r.failed) notes.push(`${r.subject} ${kilo(r.size)}: ${r.failed}${r.rawNote ? `; ${r.rawNote}` : ''}`);
    const input = r.lines ? `${(r.lines / 1000).toFixed(0)}k lines, ${bytesText(r.bytes)}` : '';
    const sync = r.sync.length ? `${fmt(median(r.sync))}${spread(r.sync)}` : 'FAILED (below)';
    const raw = r.raw.length ? `${fmt(median(r.raw))}${spread(r.raw)}` : '–';
    const ratio = r.sync.length && r.raw.length ? (median(r.sync) / median(r.raw)).toFixed(2) : '–';
    const inSync = r.inSync.length ? `${fmt(median(r.inSync))} + ${fmt(median(r.sync) - median(r.inSync))}` : '–';
    return [r.subject, kilo(r.size), input, sync, raw, ratio, inSync, String(Math.max(r.sync.length, r.raw.length))];
  });
  const skipped = sizes.filter((n) => n > IPTABLES_NFT_MAX);
  if (skipped.length) {
    for (const n of skipped) cells.push(['iptables-nft', kilo(n), '', 'skipped (below)', '', '', '', '']);
    notes.push(`iptables-nft ${skipped.map(kilo).join(', ')}: skipped, its restore is super-linear (48 s @5k, 483 s @10k on this machine, reference §1.9)`);
  }
  if (nftMissing) notes.push(nftMissing);
  print(indent(table(['BACKEND', 'SERVICES', 'INPUT', 'sync()', 'RAW', 'RATIO', 'TOOL + REST OF sync()', 'RUNS'], cells)));
  for (const n of notes) print(`   ${n}`);
  print('   RAW: iptables-<variant>-restore -w 5 --noflush / nft -f -, via ip netns exec, as the backends run them; [min–max] over the runs;');
  print('   TOOL: the same command inside sync(); REST: the backend\'s own work (iptables-save or nft list, render)');
  print('');
}

function printPartial(print: (s: string) => void, rows: PartialRow[], size: number, nftMissing: string | undefined): void {
  print(`2. Partial sync after one Service change (one endpoint replaced) at ${kilo(size)} Services, median of ${PARTIAL_CHANGES} changes`);
  const cells = rows.map((r) => r.failed
    ? [r.subject, kilo(r.size), 'FAILED (below)', '', '', '', '']
    : [r.subject, kilo(r.size), `${fmt(median(r.sync))}${spread(r.sync)}`, fmt(median(r.inSync)), r.written, bytesText(r.bytes), r.full === undefined ? 'failed (fig. 1)' : fmt(r.full)]);
  print(indent(table(['BACKEND', 'SERVICES', 'PARTIAL sync()', 'TOOL', 'CHAINS WRITTEN', 'INPUT', 'FULL sync() (FIG. 1, RUN 1)'], cells)));
  notes(print, rows.flatMap((r) => (r.failed ? [`${r.subject} ${kilo(r.size)}: ${r.failed}`] : [])), nftMissing);
  print('');
}

function printChanges(print: (s: string) => void, rows: ChangeRow[], size: number, nftMissing: string | undefined): void {
  print(`3. Service change → rules in the kernel at ${kilo(size)} Services: ${CHANGES} new Services one after another, each its own sync (no minSyncPeriod coalescing)`);
  print('   timed: from calling sync(model, {that Service}) to its promise resolving (render + one iptables-restore / nft -f transaction);');
  print('   the transaction commits atomically before the tool exits, and after each sync the ClusterIP rule was checked in the kernel');
  print('   (iptables -t nat -C KUBE-SERVICES … / nft get element … service-ips), outside the timing (aim: p50 ≤ 100 ms, p99 ≤ 1 s)');
  const cells = rows.map((r) => r.failed
    ? [r.subject, kilo(r.size), 'FAILED (below)', '', '', '']
    : [r.subject, kilo(r.size), fmt(quantile(r.ms, 0.5)), fmt(quantile(r.ms, 0.99)), fmt(quantile(r.inSync, 0.5)), `${r.visible}/${r.ms.length}`]);
  print(indent(table(['BACKEND', 'SERVICES', 'p50', `p99 (= MAX OF ${CHANGES})`, 'TOOL ALONE p50', 'IN THE KERNEL WHEN sync() RESOLVED'], cells)));
  notes(print, rows.flatMap((r) => (r.failed ? [`${r.subject} ${kilo(r.size)}: ${r.failed}`] : [])), nftMissing);
  print('   TOOL ALONE: the iptables-restore / nft -f process inside each sync(); the rest is the backend\'s own work (render, diff)');
  print('');
}

function printConnects(print: (s: string) => void, rows: ConnectRow[], nftMissing: string | undefined): void {
  print(`4. First-packet latency: TCP connect (SYN out, SYN/ACK back) from a client namespace to the last Service's ClusterIP, DNATed`);
  print(`   to a server namespace across a veth; ${CONNECTS} sequential connects after ${CONNECT_WARMUP} unmeasured ones, timed in a node client (connect() to 'connect')`);
  const us = (x: number) => `${x.toFixed(0)} µs`;
  const cells = rows.map((r) => r.failed
    ? [r.path, r.size ? kilo(r.size) : '–', 'FAILED (below)', '', '']
    : [r.path, r.size ? kilo(r.size) : '–', us(quantile(r.us, 0.5)), us(quantile(r.us, 0.99)), String(r.us.length)]);
  print(indent(table(['PATH', 'SERVICES', 'p50', 'p99', 'SAMPLES'], cells)));
  notes(print, rows.flatMap((r) => (r.failed ? [`${r.path}${r.size ? ` ${kilo(r.size)}` : ''}: ${r.failed}`] : [])), nftMissing);
  print(`   the first row is the client's own floor (no rules, no NAT, node's event loop included); what a path adds to it is its rules' cost`);
  print('');
}

function printThroughput(print: (s: string) => void, rows: Throughput[]): void {
  print(`5. Bulk TCP throughput through one Service's ClusterIP to one server: ${TRANSFER_MB} MB per connection, median of ${TRANSFER_RUNS} after one unmeasured (client, server and userspace proxy share the 2 CPUs)`);
  const cells = rows.map((r) => r.failed ? [r.path, 'FAILED (below)', ''] : [r.path, `${r.mbps!.toFixed(0)} MB/s`, r.runs.map((ms) => fmt(ms)).join(', ')]);
  print(indent(table(['PATH', 'THROUGHPUT', 'RUNS'], cells)));
  notes(print, rows.flatMap((r) => (r.failed ? [`${r.path}: ${r.failed}`] : [])), undefined);
  const [ipt, us] = rows;
  if (ipt?.mbps && us?.mbps) print(`   userspace / iptables: ${(us.mbps / ipt.mbps).toFixed(2)} (iptables is ${(ipt.mbps / us.mbps).toFixed(1)}× faster)`);
}

function notes(print: (s: string) => void, lines: string[], nftMissing: string | undefined): void {
  for (const l of lines) print(`   ${l}`);
  if (nftMissing) print(`   ${nftMissing}`);
}

const indent = (s: string) => s.split('\n').map((l) => `   ${l}`).join('\n');
