// NginxRuntime with a real nginx: reload only when nginx.conf changes, endpoint changes without a
// reload (same worker pids), a config nginx -t rejects never replaces the running one, and stop()
// leaves no process. nginx must be installed with the Lua module: the preflight in beforeAll
// fails the file with the Debian package to install, it never skips.

import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkNginx } from '../src/nginx/preflight.js';
import { isAlive } from '../src/nginx/processes.js';
import { statusRequest } from '../src/nginx/status-client.js';
import type { IngressModel } from '../src/model.js';
import { get, makeLab, selfSignedCertificate, startEchoBackend, type EchoBackend, type Lab, waitFor } from './nginx-harness.js';
import { backend, loc, model } from './render-fixtures.js';

const NGINX_ADDR = '127.0.0.21';

describe('preflight', () => {
  it('names the Debian package when the Lua module is missing', async () => {
    await expect(checkNginx('nginx', '/nonexistent/modules')).rejects.toThrow(/libnginx-mod-http-(ndk|lua)/);
  });
  it('names the packages when nginx itself is missing', async () => {
    await expect(checkNginx('/nonexistent/nginx', '/usr/lib/nginx/modules')).rejects.toThrow(/nginx is not installed.*libnginx-mod-http-lua/);
  });
});

describe('NginxRuntime', () => {
  let lab: Lab;
  let a: EchoBackend;
  let b: EchoBackend;
  const sighups = () => lab.logs.filter((l) => l.includes('signal 1 (SIGHUP) received')).length;

  function helloModel(endpoints: EchoBackend[], readTimeout = 60): IngressModel {
    return model(
      [{ hostname: 'hello.nginx.com', locations: [loc('/', 'default-nginx-svc-80', { config: { proxyReadTimeout: readTimeout } })] }],
      [backend('default-nginx-svc-80', endpoints.map((e) => [e.address, e.port]))],
    );
  }

  async function whoAnswers(): Promise<string | undefined> {
    const r = await get(lab.address, lab.http, { host: 'hello.nginx.com' });
    return r.json?.backend;
  }

  beforeAll(async () => {
    await checkNginx('nginx', '/usr/lib/nginx/modules'); // fails (not skips) without libnginx-mod-http-lua
    lab = await makeLab(NGINX_ADDR);
    lab.env.errorLogLevel = 'notice'; // so nginx's own "SIGHUP received" lines count the reloads
    a = await startEchoBackend('a', '127.0.0.22');
    b = await startEchoBackend('b', '127.0.0.23');
    await lab.runtime.start(helloModel([a]));
  });

  afterAll(async () => {
    const pid = lab.runtime.pid;
    const workers = lab.runtime.workerPids();
    await lab.cleanup();
    await a.close();
    await b.close();
    // stop() leaves nothing behind
    for (const p of [pid, ...workers]) if (p !== undefined) expect(isAlive(p)).toBe(false);
  });

  it('serves after start, with the config checksum on the status server', async () => {
    expect(await whoAnswers()).toBe('a');
    const h = await statusRequest(lab.runtime.status, 'GET', '/healthz');
    expect(h.headers['x-config-checksum']).toBe(lab.runtime.counters.configHash);
    expect(lab.runtime.workerPids()).toHaveLength(2);
    expect(lab.runtime.counters.lastReloadSuccess).toBe(true);
  });

  it('an identical apply reloads nothing and pushes nothing', async () => {
    const before = { ...lab.runtime.counters };
    const r = await lab.runtime.apply(helloModel([a]));
    expect(r).toEqual({ reloaded: false, pushedBackends: false });
    expect(lab.runtime.counters.reloads).toBe(before.reloads);
    expect(lab.runtime.counters.backendPushes).toBe(before.backendPushes);
  });

  it('an endpoint change reaches traffic without a reload: same workers, same config', async () => {
    const workers = lab.runtime.workerPids();
    const reloads = lab.runtime.counters.reloads;
    const hups = sighups();
    const t0 = performance.now();
    const r = await lab.runtime.apply(helloModel([b]));
    const applied = performance.now();
    expect(r).toEqual({ reloaded: false, pushedBackends: true });
    // the very next request, on whichever worker, already sees the new endpoint
    const answers = new Set<string | undefined>();
    for (let i = 0; i < 10; i++) answers.add(await whoAnswers());
    const shifted = performance.now();
    expect([...answers]).toEqual(['b']);
    expect(lab.runtime.workerPids()).toEqual(workers);
    expect(lab.runtime.counters.reloads).toBe(reloads);
    expect(sighups()).toBe(hups);
    console.log(`endpoint change: apply (POST) ${(applied - t0).toFixed(1)} ms, first 10 requests all on the new endpoint ${(shifted - t0).toFixed(1)} ms after apply() began`);
  });

  it('a config change causes exactly one reload, new workers, and traffic keeps flowing', async () => {
    const workers = lab.runtime.workerPids();
    const reloads = lab.runtime.counters.reloads;
    const hash = lab.runtime.counters.configHash;
    const hups = sighups();
    const t0 = performance.now();
    const r = await lab.runtime.apply(helloModel([b], 30));
    const took = performance.now() - t0;
    expect(r).toEqual({ reloaded: true, pushedBackends: false });
    expect(lab.runtime.counters.reloads).toBe(reloads + 1);
    expect(lab.runtime.counters.configHash).not.toBe(hash);
    expect(lab.runtime.runningConfig).toContain('proxy_read_timeout    30s;');
    // backends survive the reload (shared dict), no push needed
    expect(await whoAnswers()).toBe('b');
    // old workers retitle themselves "shutting down" when they handle the master's QUIT
    expect(await waitFor(() => !lab.runtime.workerPids().some((p) => workers.includes(p)))).toBe(true);
    // and the same model again: nothing
    expect(await lab.runtime.apply(helloModel([b], 30))).toEqual({ reloaded: false, pushedBackends: false });
    await waitFor(() => sighups() > hups);
    expect(sighups()).toBe(hups + 1);
    console.log(`config change: render + nginx -t + reload + new workers answering: ${took.toFixed(0)} ms`);
  });

  it('a config nginx -t rejects is refused with nginx\'s reason; the old config keeps serving', async () => {
    const good = lab.runtime.runningConfig;
    const hash = lab.runtime.counters.configHash;
    const failures = lab.runtime.counters.reloadFailures;
    const bad = helloModel([a], 30);
    const broken = { ...(await selfSignedCertificate('hello.nginx.com')), id: 'broken0123456789' };
    broken.pem = broken.pem.replace(/[A-Za-z0-9+/]{64}\n/, 'not base64 at all\n'); // a certificate nginx cannot load
    bad.certificates = [broken];
    bad.servers.find((s) => s.hostname === 'hello.nginx.com')!.tls = { certificate: broken.id };

    const r = await lab.runtime.apply(bad);
    expect(r.reloaded).toBe(false);
    expect(r.pushedBackends).toBe(false);
    expect(r.error).toMatch(/nginx -t rejected the new configuration; the previous one keeps serving: .*(PEM|certificate)/);
    expect(lab.runtime.runningConfig).toBe(good);
    expect(lab.runtime.counters.configHash).toBe(hash);
    expect(lab.runtime.counters.lastReloadSuccess).toBe(false);
    expect(lab.runtime.counters.reloadFailures).toBe(failures + 1);
    // still serving the previous model: backend b (the bad model named a)
    expect(await whoAnswers()).toBe('b');
    const h = await statusRequest(lab.runtime.status, 'GET', '/healthz');
    expect(h.headers['x-config-checksum']).toBe(hash);
  });

  it('a model value that cannot be written safely is refused before nginx sees it', async () => {
    const evil = helloModel([a]);
    evil.servers[0]!.locations[0]!.path = '/x\n}\nload_module /tmp/evil.so;';
    const r = await lab.runtime.apply(evil);
    expect(r.error).toMatch(/cannot be written as nginx configuration: .*control character/);
    expect(await whoAnswers()).toBe('b');
  });

  it('recovers with the next good model', async () => {
    const r = await lab.runtime.apply(helloModel([a, b]));
    expect(r).toEqual({ reloaded: true, pushedBackends: true });
    expect(lab.runtime.counters.lastReloadSuccess).toBe(true);
  });

  it('a reload the master refuses after nginx -t passed (port taken) keeps the old config, file included', async () => {
    const good = lab.runtime.runningConfig;
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, NGINX_ADDR, () => r()));
    const httpPort = lab.env.ports.http;
    lab.env.ports.http = (blocker.address() as AddressInfo).port; // the controller's setting, not the model
    try {
      const r = await lab.runtime.apply(helloModel([a, b]));
      expect(r.reloaded).toBe(false);
      expect(r.error).toMatch(/nginx did not load the new configuration; the previous one keeps serving: .*Address already in use/);
      expect(await readFile(lab.runtime.configFile, 'utf8')).toBe(good);
      expect(lab.runtime.runningConfig).toBe(good);
    } finally {
      lab.env.ports.http = httpPort;
      blocker.close();
    }
    expect(['a', 'b']).toContain(await whoAnswers());
    expect(await lab.runtime.apply(helloModel([a, b]))).toEqual({ reloaded: false, pushedBackends: false });
  });

  it('a second start while running is refused', async () => {
    await expect(lab.runtime.start(helloModel([a]))).rejects.toThrow(/already running/);
  });
});
