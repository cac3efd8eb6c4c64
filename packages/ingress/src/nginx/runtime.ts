// NginxRuntime: one nginx master per controller, kept in step with the model.
//   start(model)  render, nginx -t, spawn the master, wait for the status port (ingress-nginx
//                 #8831: a push before :10246 answers is lost), push the backends.
//   apply(model)  reload only when nginx.conf really changed (nginx -t on a temp file first; a
//                 config nginx rejects never replaces the running one), wait until the new
//                 workers answer with the new checksum, then push the backends if they changed.
//                 A reload that brings new backends pushes them (with the old ones) before the
//                 SIGHUP too, so a new host never answers 503 while its backend is on its way.
//                 Endpoint-only changes are a push alone: no reload, same workers.
//   stop()        graceful quit, then harder signals; no nginx process survives.
// Operations are serialised; debouncing bursts of changes is the caller's job.

import { join } from 'node:path';
import { CATCH_ALL, DEFAULT_BACKEND, type IngressModel } from '../model.js';
import { renderBackendsJson } from '../render/backends-json.js';
import type { RenderEnv } from '../render/env.js';
import { configChecksum, renderNginxConf } from '../render/nginx-conf.js';
import { removeUnusedCertificates, writeCertificates } from './certificate-files.js';
import { install, restore, testConfig, writeCandidate } from './config-file.js';
import { ensureDefaultCertificate } from './default-certificate.js';
import { delay, NginxMaster } from './master.js';
import { checkNginx } from './preflight.js';
import { workerPids } from './processes.js';
import { prepareStateDir } from './state-dir.js';
import { servingChecksum, statusRequest, type StatusEndpoint } from './status-client.js';

export interface NginxRuntimeOptions {
  env: RenderEnv;
  /** the nginx binary (default `nginx`) */
  nginx?: string;
  /** every nginx stderr line (the error log) and the runtime's own notes */
  log?: (line: string) => void;
  startTimeoutMs?: number;
  /** how long the new workers may take to answer after SIGHUP */
  reloadTimeoutMs?: number;
  /** how long a graceful quit may take before harder signals */
  stopTimeoutMs?: number;
  /** attempts to POST the backends (backoff 50 ms × 1.5ⁿ, at most 1 s apart) */
  pushAttempts?: number;
}

export interface ApplyResult {
  reloaded: boolean;
  pushedBackends: boolean;
  /** why the model was not (fully) applied; the previous configuration keeps serving */
  error?: string;
}

export interface RuntimeCounters {
  /** successful reloads since start (the start itself not counted) */
  reloads: number;
  reloadFailures: number;
  /** ingress-nginx's config_last_reload_successful */
  lastReloadSuccess: boolean;
  lastReloadTime?: Date;
  /** sha-256 checksum of the running nginx.conf (see renderNginxConf) */
  configHash?: string;
  backendPushes: number;
  lastPushTime?: Date;
}

/** a model with nothing but the catch-all server and the default backend */
export function emptyModel(): IngressModel {
  return {
    servers: [{ hostname: CATCH_ALL, locations: [] }],
    backends: [{ name: DEFAULT_BACKEND, endpoints: [], alternativeBackends: [], noServer: false }],
    certificates: [],
    rejected: [],
  };
}

class PushRefused extends Error {}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class NginxRuntime implements AsyncDisposable {
  readonly counters: RuntimeCounters = { reloads: 0, reloadFailures: 0, lastReloadSuccess: false, backendPushes: 0 };
  private readonly env: RenderEnv;
  private readonly nginx: string;
  private readonly log: (line: string) => void;
  private master?: NginxMaster;
  private runningConf?: string;
  private lastPushed?: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: NginxRuntimeOptions) {
    this.env = opts.env;
    this.nginx = opts.nginx ?? 'nginx';
    this.log = opts.log ?? (() => {});
  }

  get configFile(): string {
    return join(this.env.paths.stateDir, 'nginx.conf');
  }

  get status(): StatusEndpoint {
    return { address: this.env.statusAddress, port: this.env.ports.status };
  }

  /** the master's pid while it runs */
  get pid(): number | undefined {
    return this.master?.isRunning ? this.master.pid : undefined;
  }

  get running(): boolean {
    return this.master?.isRunning ?? false;
  }

  /** the nginx.conf nginx is serving */
  get runningConfig(): string | undefined {
    return this.runningConf;
  }

  /** pids of the workers serving the current configuration */
  workerPids(): number[] {
    return this.pid === undefined ? [] : workerPids(this.pid);
  }

  start(model: IngressModel = emptyModel()): Promise<void> {
    return this.exclusive(() => this.doStart(model));
  }

  apply(model: IngressModel): Promise<ApplyResult> {
    return this.exclusive(() => this.doApply(model));
  }

  stop(): Promise<void> {
    return this.exclusive(async () => {
      await this.master?.stop(this.opts.stopTimeoutMs ?? 10_000);
      this.master = undefined;
      this.runningConf = undefined;
      this.lastPushed = undefined;
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async doStart(model: IngressModel): Promise<void> {
    if (this.master?.isRunning) throw new Error('nginx is already running');
    await checkNginx(this.nginx, this.env.paths.modulesDir);
    await prepareStateDir(this.env);
    await ensureDefaultCertificate(this.env.paths.defaultCertificate);

    const conf = renderNginxConf(model, this.env);
    const json = renderBackendsJson(model, this.env);
    await writeCertificates(this.env, model.certificates);
    const candidate = await writeCandidate(this.configFile, conf);
    const rejected = await testConfig(this.nginx, this.env.paths.stateDir, candidate.file);
    if (rejected) {
      await candidate.discard();
      throw new Error(`nginx rejected the initial configuration: ${rejected}`);
    }
    await install(candidate, this.configFile);

    const master = NginxMaster.spawn(this.nginx, this.env.paths.stateDir, this.configFile, (l) => this.log(l));
    this.master = master;
    try {
      await this.waitServing(configChecksum(conf), this.opts.startTimeoutMs ?? 15_000, master.lineSeq, false);
      this.runningConf = conf;
      this.counters.configHash = configChecksum(conf);
      this.counters.lastReloadSuccess = true;
      this.counters.lastReloadTime = new Date();
      this.log(`svclab: nginx ${master.pid} serving configuration ${this.counters.configHash.slice(0, 12)}`);
      await this.push(json);
    } catch (e) {
      await master.stop(2000);
      this.master = undefined;
      throw e;
    }
  }

  private async doApply(model: IngressModel): Promise<ApplyResult> {
    if (!this.master?.isRunning) return { reloaded: false, pushedBackends: false, error: 'nginx is not running (start() it first)' };
    let conf: string;
    let json: string;
    try {
      conf = renderNginxConf(model, this.env);
      json = renderBackendsJson(model, this.env);
    } catch (e) {
      return { reloaded: false, pushedBackends: false, error: `the model cannot be written as nginx configuration: ${message(e)}` };
    }

    let reloaded = false;
    const pushes = this.counters.backendPushes;
    if (conf !== this.runningConf) {
      const failed = await this.reload(conf, model, json);
      if (failed) {
        this.counters.reloadFailures++;
        this.counters.lastReloadSuccess = false;
        this.log(`svclab: ${failed}`);
        return { reloaded: false, pushedBackends: false, error: failed };
      }
      reloaded = true;
    }

    // (the reload may have pushed them already, see reload())
    if (json === this.lastPushed) return { reloaded, pushedBackends: this.counters.backendPushes > pushes };
    try {
      await this.push(json);
      return { reloaded, pushedBackends: true };
    } catch (e) {
      return { reloaded, pushedBackends: false, error: message(e) };
    }
  }

  /** resolves to undefined on success, else the reason (the running config and backends are untouched) */
  private async reload(conf: string, model: IngressModel, json: string): Promise<string | undefined> {
    const master = this.master;
    const previous = this.runningConf;
    if (!master || previous === undefined) return 'nginx is not running';
    await writeCertificates(this.env, model.certificates);
    const candidate = await writeCandidate(this.configFile, conf);
    const rejected = await testConfig(this.nginx, this.env.paths.stateDir, candidate.file);
    if (rejected) {
      await candidate.discard();
      return `nginx -t rejected the new configuration; the previous one keeps serving: ${rejected}`;
    }
    await install(candidate, this.configFile);
    // The new workers must find every backend their configuration names from their first request,
    // not only after the push that follows the reload (a new Ingress would answer 503 in between):
    // push the new backends now, together with the old ones the old workers still use.
    const pushedBefore = this.lastPushed;
    const bridged = await this.pushBridge(json);
    const hash = configChecksum(conf);
    const seq = master.lineSeq;
    const oldWorkers = new Set(workerPids(master.pid));
    master.signal('SIGHUP'); // what `nginx -s reload` sends
    try {
      await this.waitServing(hash, this.opts.reloadTimeoutMs ?? 15_000, seq, true);
      await this.waitOldWorkersQuiet(master.pid, oldWorkers);
    } catch (e) {
      await restore(this.configFile, previous);
      if (bridged && pushedBefore !== undefined) {
        await this.push(pushedBefore).catch((e2: unknown) => this.log(`svclab: could not push the previous backends back: ${message(e2)}`));
      }
      return `nginx did not load the new configuration; the previous one keeps serving: ${message(e)}`;
    }
    this.runningConf = conf;
    this.counters.reloads++;
    this.counters.lastReloadSuccess = true;
    this.counters.lastReloadTime = new Date();
    this.counters.configHash = hash;
    this.log(`svclab: nginx reloaded, configuration ${hash.slice(0, 12)}`);
    await removeUnusedCertificates(this.env, model.certificates).catch((e: unknown) => this.log(`svclab: could not remove old certificates: ${message(e)}`));
    return undefined;
  }

  /**
   * Until every worker of the previous generation is shutting down: it has closed its listening
   * sockets (with reuseport each worker has its own), so no new connection reaches the old
   * configuration once apply() returns. Draining connections may keep them for
   * worker_shutdown_timeout; that is not waited for.
   */
  private async waitOldWorkersQuiet(masterPid: number, oldWorkers: Set<number>): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (workerPids(masterPid).some((pid) => oldWorkers.has(pid))) {
      if (Date.now() > deadline) {
        this.log('svclab: workers of the previous configuration still accept connections 5 s after the reload');
        return;
      }
      await delay(10);
    }
  }

  /**
   * Until /healthz on the status server answers `hash`. Fails early when the master exits, or,
   * during a reload, when it logs [emerg] (nginx keeps the old configuration in that case).
   */
  private async waitServing(hash: string, timeoutMs: number, seq: number, reloading: boolean): Promise<void> {
    const master = this.master;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!master?.isRunning) {
        throw new Error(`nginx exited: ${master?.lastLines(5).join(' | ') ?? 'no output'}`);
      }
      if ((await servingChecksum(this.status)) === hash) return;
      if (reloading) {
        const emerg = master.linesSince(seq).filter((l) => l.includes('[emerg]'));
        if (emerg.length > 0) throw new Error(emerg.join(' | '));
      }
      if (Date.now() > deadline) {
        throw new Error(`the status server ${this.status.address}:${this.status.port} did not answer with configuration ${hash.slice(0, 12)} within ${timeoutMs} ms`);
      }
      await delay(20);
    }
  }

  /** before a reload: pushes the backends pushed last merged with `json`'s (by name, `json`'s win); whether it pushed */
  private async pushBridge(json: string): Promise<boolean> {
    if (json === this.lastPushed) return false;
    const merged = new Map<string, unknown>();
    for (const text of [this.lastPushed ?? '[]', json]) for (const b of JSON.parse(text) as Array<{ name: string }>) merged.set(b.name, b);
    const bridge = JSON.stringify([...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, b]) => b));
    try {
      await this.push(bridge);
      return true;
    } catch (e) {
      this.log(`svclab: could not push the backends before the reload (new hosts may answer 503 until the push after it): ${message(e)}`);
      return false;
    }
  }

  /** POST the backends JSON; retried with backoff unless nginx says it is invalid (400) */
  private async push(json: string): Promise<void> {
    const attempts = this.opts.pushAttempts ?? 10;
    let last = '';
    for (let i = 0; i < attempts; i++) {
      try {
        const r = await statusRequest(this.status, 'POST', '/configuration/backends', json);
        if (r.status === 201) {
          this.lastPushed = json;
          this.counters.backendPushes++;
          this.counters.lastPushTime = new Date();
          return;
        }
        if (r.status === 400) throw new PushRefused(`nginx refused the backends: ${r.body.trim()}`);
        last = `HTTP ${r.status} ${r.body.trim()}`;
      } catch (e) {
        if (e instanceof PushRefused) throw e;
        last = message(e);
      }
      await delay(Math.min(50 * 1.5 ** i, 1000));
    }
    throw new Error(`could not push the backends to nginx (${attempts} attempts): ${last}`);
  }
}
