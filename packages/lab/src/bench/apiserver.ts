// `pnpm bench apiserver`: 10,000 Services and 10,000 EndpointSlices (50,000 endpoints) created over
// HTTPS against a standalone apiserver process; create rate, list latency, watch delivery latency to
// 10 concurrent watchers (from the create request to the watcher's event), and the server's RSS.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { resolveModule } from '@svclab/kube';
import { execa } from 'execa';

interface Server { url: string; token: string; caCert: string; pid: number }

const quantile = (xs: number[], q: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]!; };

function call(s: Server, agent: Agent, method: string, path: string, body?: unknown): Promise<{ code: number; text: string }> {
  const u = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, agent, ca: s.caCert, headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** A watcher that notes when each object name arrives. */
function watcher(s: Server, path: string, seen: Map<string, number>): { stop: () => void; ready: Promise<void> } {
  const u = new URL(s.url);
  let stop = () => undefined as void;
  const ready = new Promise<void>((resolve) => {
    const req = request({ host: u.hostname, port: u.port, path: `${path}?watch=true`, ca: s.caCert, headers: { Authorization: `Bearer ${s.token}` } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        const now = performance.now();
        buf += d;
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          const name = l.match(/"metadata":\{"name":"([^"]+)"/)?.[1] ?? (JSON.parse(l) as { object: { metadata: { name: string } } }).object.metadata.name;
          if (!seen.has(name)) seen.set(name, now);
        }
      });
      resolve();
    });
    req.on('error', () => undefined);
    req.end();
    stop = () => req.destroy();
  });
  return { stop: () => stop(), ready };
}

async function createAll(s: Server, count: number, path: string, body: (i: number) => unknown, sent: Map<string, number>, name: (i: number) => string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < count) {
      const i = next++;
      sent.set(name(i), performance.now());
      const r = await call(s, agent, 'POST', path, body(i));
      if (r.code !== 201) throw new Error(`create ${name(i)}: ${r.code} ${r.text.slice(0, 200)}`);
    }
  }));
  agent.destroy();
  return count / ((performance.now() - t0) / 1000);
}

export async function benchApiserver(print: (s: string) => void, count = 10_000, watchers = 10): Promise<void> {
  const script = resolveModule('@svclab/cluster/apiserver-standalone', import.meta.url);
  const child = execa(process.execPath, ['--import', resolveModule('tsx', import.meta.url), script], { stdout: 'pipe', stderr: 'inherit', reject: false });
  const server = await new Promise<Server>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as Server));
    void child.then((r) => reject(new Error(`the apiserver exited: ${r.exitCode}`)));
  });
  try {
    const sent = new Map<string, number>();
    const seen = Array.from({ length: watchers }, () => new Map<string, number>());
    const svcWatch = seen.map((m) => watcher(server, '/api/v1/services', m));
    const sliceWatch = seen.map((m) => watcher(server, '/apis/discovery.k8s.io/v1/endpointslices', m));
    await Promise.all([...svcWatch, ...sliceWatch].map((w) => w.ready));
    const svcRate = await createAll(server, count, '/api/v1/namespaces/default/services',
      (i) => ({ metadata: { name: `svc-${i}` }, spec: { selector: { app: `a${i}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }), sent, (i) => `svc-${i}`);
    const sliceRate = await createAll(server, count, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
      (i) => ({ metadata: { name: `svc-${i}-abcde`, labels: { 'kubernetes.io/service-name': `svc-${i}` } }, addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        endpoints: Array.from({ length: 5 }, (_, e) => ({ addresses: [`10.${(i >> 8) & 255}.${i & 255}.${e + 1}`], conditions: { ready: true } })) }), sent, (i) => `svc-${i}-abcde`);
    await new Promise((r) => setTimeout(r, 1000)); // let the last events arrive
    const latencies = seen.flatMap((m) => [...m].filter(([n]) => sent.has(n)).map(([n, t]) => t - sent.get(n)!));
    const delivered = seen.reduce((n, m) => n + [...m.keys()].filter((k) => sent.has(k)).length, 0);
    [...svcWatch, ...sliceWatch].forEach((w) => w.stop());
    const agent = new Agent({ keepAlive: true });
    const lists: number[] = [];
    for (let i = 0; i < 5; i++) {
      for (const path of ['/api/v1/services', '/apis/discovery.k8s.io/v1/endpointslices']) {
        const t0 = performance.now();
        const r = await call(server, agent, 'GET', path);
        if (r.code !== 200) throw new Error(`list ${path}: ${r.code}`);
        lists.push(performance.now() - t0);
      }
    }
    agent.destroy();
    const rss = Number(readFileSync(`/proc/${server.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)![1]) / 1024;
    print(`apiserver, ${count} Services + ${count} EndpointSlices (${count * 5} endpoints) over HTTPS, 32 concurrent clients:`);
    print(`  create rate: Services ${svcRate.toFixed(0)}/s, EndpointSlices ${sliceRate.toFixed(0)}/s (aim >= 2000/s)`);
    print(`  list latency (${count} objects): median ${quantile(lists, 0.5).toFixed(0)} ms, max ${Math.max(...lists).toFixed(0)} ms`);
    print(`  watch delivery to ${watchers} watchers per kind (${delivered}/${watchers * count * 2} events): p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms (aim p99 <= 50 ms)`);
    print(`  apiserver RSS: ${rss.toFixed(0)} MB (aim <= 500 MB)`);
  } finally {
    child.kill('SIGTERM');
    await child;
  }
}
