// The userspace proxier live, in network namespaces this test builds: a node (where the proxier runs,
// as kube-proxy would) and a pod joined to it by a veth, holding the client and three endpoints.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { Lines } from '@svclab/kube';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../../cluster/test/host.js';
import type { BackendOptions } from '../src/backend.js';
import { buildServicePorts, type ServicePort } from '../src/service-ports.js';

const ID = randomBytes(3).toString('hex');
const NODE = `svt-us-${ID}-node`;
const POD = `svt-us-${ID}-pod`;
const NODE_IP = '172.18.0.2';
const GATEWAY = '10.244.1.1'; // the node's end of the pod's veth
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

const ENDPOINTS = { 'ep-a': '10.244.1.11', 'ep-b': '10.244.1.12', 'ep-c': '10.244.1.13' } as const;
type EndpointName = keyof typeof ENDPOINTS;

const svc = (name: string, clusterIP: string, ports: object[], extra: Partial<NonNullable<V1Service['spec']>> = {}): V1Service =>
  ({ metadata: { namespace: 'test', name }, spec: { type: 'ClusterIP', clusterIP, ports: ports as never, ...extra } });
const slice = (name: string, protocol: string, ips: readonly string[]): V1EndpointSlice => ({
  metadata: { namespace: 'test', name: `${name}-x`, labels: { 'kubernetes.io/service-name': name } }, addressType: 'IPv4',
  ports: [{ name: 'p', port: 8080, protocol }], endpoints: ips.map((ip) => ({ addresses: [ip] })),
});
const all = Object.values(ENDPOINTS);
const services = [
  svc('rr', '10.96.0.10', [{ name: 'p', port: 80, nodePort: 30080 }], { type: 'NodePort' }),
  svc('sticky', '10.96.0.11', [{ name: 'p', port: 80 }], { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }),
  svc('dns', '10.96.0.12', [{ name: 'p', port: 53, protocol: 'UDP' }]),
  svc('empty', '10.96.0.13', [{ name: 'p', port: 80 }]),
  svc('slow', '10.96.0.14', [{ name: 'p', port: 80 }]),
];
/** on the pod's subnet, but nobody has it: a connect there gets no answer at all */
const SILENT = '10.244.1.99';
const model = (rrEndpoints: readonly string[] = all): ServicePort[] =>
  buildServicePorts(services, [slice('rr', 'TCP', rrEndpoints), slice('sticky', 'TCP', all), slice('dns', 'UDP', all), slice('empty', 'TCP', []), slice('slow', 'TCP', [ENDPOINTS['ep-b'], SILENT])]);

const sh = (ns: string, cmd: string, args: string[]) => execa('ip', ['netns', 'exec', ns, cmd, ...args], { reject: false });

/** one HTTP request over a new connection from the pod (or the node): the endpoint's answer, split */
async function get(url: string, from = POD): Promise<{ name: string; peer: string }> {
  const r = await sh(from, 'curl', ['-sS', '--max-time', '5', url]);
  if (r.exitCode !== 0) throw new Error(`curl ${url} from ${from}: exit ${r.exitCode}: ${r.stderr}`);
  const [name, peer] = r.stdout.trim().split(' ');
  return { name: name!, peer: peer! };
}
const names = async (url: string, n: number) => { const out: string[] = []; for (let i = 0; i < n; i++) out.push((await get(url)).name); return out; };

/** a UDP client in the pod: one socket (one client address) per call */
async function udp(host: string, port: number, msg: string): Promise<string> {
  const script = `const s=require('dgram').createSocket('udp4');s.on('message',(m)=>{process.stdout.write(m.toString());s.close()});`
    + `setTimeout(()=>{process.stderr.write('no reply');process.exit(1)},2000).unref();s.send(process.argv[3],Number(process.argv[2]),process.argv[1])`;
  const r = await sh(POD, process.execPath, ['-e', script, host, String(port), msg]);
  if (r.exitCode !== 0) throw new Error(`udp ${host}:${port}: ${r.stderr}`);
  return r.stdout;
}

/** a child process that prints one line when ready */
function startChild(ns: string, file: string, args: string[]): { child: ResultPromise; ready: Promise<string> } {
  const child = execa('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', file, ...args], { cwd: ROOT, stdin: 'pipe', reject: false, buffer: false });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString()));
    void child.then(() => reject(new Error(`${file} exited before it was ready: ${stderr}`)));
  });
  return { child, ready };
}

/** the proxier harness: one JSON command, one JSON answer */
class Harness {
  private readonly lines: Lines;
  constructor(child: ResultPromise) { this.lines = new Lines(child, 'the userspace proxier harness'); }
  async ready(): Promise<void> { expect(await this.lines.json()).toEqual({ ready: true }); }
  async call<T = unknown>(op: string, extra: object = {}): Promise<T> {
    this.lines.send({ op, ...extra });
    const r = await this.lines.json<{ ok: boolean; result: T; error?: string }>();
    if (!r.ok) throw new Error(`harness ${op}: ${r.error}`);
    return r.result;
  }
}

const endpoints = new Map<EndpointName, ResultPromise>();
let proxierChild: ResultPromise | undefined;
let harness: Harness;

async function iptablesSave(): Promise<string> {
  return (await sh(NODE, 'iptables-save', [])).stdout;
}

beforeAll(async () => {
  requireRoot();
  const veth = `svt${ID}`;
  await execa('ip', ['netns', 'add', NODE]);
  await execa('ip', ['netns', 'add', POD]);
  await execa('ip', ['-n', NODE, '-b', '-'], {
    input: [
      // the node's own address on an "eth0" (a veth whose peer stays unplugged: no dummy module here), the default route on it
      'link set lo up', 'link add eth0 type veth peer name eth0-peer', `addr add ${NODE_IP}/16 dev eth0`, 'link set eth0 up', 'link set eth0-peer up', 'route add default dev eth0',
      `link add ${veth} type veth peer name eth0 netns ${POD}`, `addr add ${GATEWAY}/24 dev ${veth}`, `link set ${veth} up`,
    ].join('\n') + '\n',
  });
  await execa('ip', ['-n', POD, '-b', '-'], {
    input: [
      'link set lo up', 'addr add 10.244.1.2/24 dev eth0', ...all.map((ip) => `addr add ${ip}/24 dev eth0`), 'link set eth0 up', `route add default via ${GATEWAY}`,
    ].join('\n') + '\n',
  });
  for (const [name, ip] of Object.entries(ENDPOINTS) as Array<[EndpointName, string]>) {
    const { child, ready } = startChild(POD, here('./userspace-endpoint.ts'), [name, ip, '8080']);
    endpoints.set(name, child);
    expect(await ready).toBe('ready\n');
  }
  // no node IP given (as before kube-proxy has seen its Node): the DNAT target comes from the default route, as upstream's ChooseHostInterface
  const opts: BackendOptions = { nodeIPs: [], nodePortAddresses: [], clusterCIDR: '10.244.0.0/16', masqueradeBit: 14, masqueradeAll: false, ipvsScheduler: '' };
  proxierChild = execa('ip', ['netns', 'exec', NODE, process.execPath, '--import', 'tsx', here('./userspace-harness.ts'), JSON.stringify(opts)], { cwd: ROOT, stdin: 'pipe', reject: false, buffer: false });
  proxierChild.stderr!.on('data', (d: Buffer) => { if (process.env.DEBUG_USERSPACE) process.stderr.write(d); });
  harness = new Harness(proxierChild);
  await harness.ready();
  await harness.call('check');
  await harness.call('sync', { ports: model() });
});

afterAll(async () => {
  proxierChild?.stdin?.end();
  proxierChild?.kill('SIGKILL');
  for (const c of endpoints.values()) c.kill('SIGKILL');
  await Promise.all([proxierChild, ...endpoints.values()].map((c) => c?.catch(() => undefined)));
  await execa('ip', ['netns', 'delete', NODE], { reject: false });
  await execa('ip', ['netns', 'delete', POD], { reject: false });
});

describe('userspace proxier in a node namespace', () => {
  it('answers a ClusterIP in exact cyclic round-robin order, and the endpoints see the node\'s address, not the client\'s', async () => {
    const answers: Array<{ name: string; peer: string }> = [];
    for (let i = 0; i < 6; i++) answers.push(await get('http://10.96.0.10/'));
    expect(answers.map((a) => a.name)).toEqual(['ep-a', 'ep-b', 'ep-c', 'ep-a', 'ep-b', 'ep-c']);
    expect(new Set(answers.map((a) => a.peer))).toEqual(new Set([GATEWAY]));
  });

  it('answers the NodePort from a pod, and the ClusterIP and NodePort from the node itself (the DNAT path, to the default route\'s address)', async () => {
    expect(await iptablesSave()).toContain(`-j DNAT --to-destination ${NODE_IP}:`);
    expect((await get(`http://${NODE_IP}:30080/`)).name).toBe('ep-a');
    expect((await get('http://10.96.0.10/', NODE)).name).toBe('ep-b');
    expect((await get(`http://${NODE_IP}:30080/`, NODE)).name).toBe('ep-c');
  });

  it('keeps a client on one endpoint with ClientIP affinity', async () => {
    const got = await names('http://10.96.0.11/', 5);
    expect(new Set(got).size).toBe(1);
  });

  it('round-trips UDP datagrams, a session per client address, round-robin across sessions, gone after the idle timeout', async () => {
    const replies = [await udp('10.96.0.12', 53, 'hello'), await udp('10.96.0.12', 53, 'hello'), await udp('10.96.0.12', 53, 'hello')];
    expect(replies).toEqual(['ep-a hello', 'ep-b hello', 'ep-c hello']);
    await new Promise((r) => setTimeout(r, 600)); // 250 ms idle timeout
    const stats = await harness.call<Record<string, { sessions: number; active: number }>>('stats');
    expect(stats['test/dns:p/UDP']).toMatchObject({ sessions: 3, active: 0 });
  });

  it('closes a connection to a Service without endpoints at once instead of letting it hang', async () => {
    const t0 = Date.now();
    const r = await sh(POD, 'curl', ['-sS', '--max-time', '5', 'http://10.96.0.13/']);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect([52, 56]).toContain(r.exitCode); // empty reply / connection reset, not a timeout (28)
    const stats = await harness.call<Record<string, { noEndpoints: number }>>('stats');
    expect(stats['test/empty:p/TCP']!.noEndpoints).toBe(1);
  });

  it('gives an endpoint that does not answer 250 ms, then retries the next one', async () => {
    expect((await get('http://10.96.0.14/')).name).toBe('ep-b'); // 10.244.1.12:8080 sorts first
    const t0 = Date.now();
    expect((await get('http://10.96.0.14/')).name).toBe('ep-b'); // 10.244.1.99 first: no answer, so after 250 ms, ep-b
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(Date.now() - t0).toBeLessThan(1500);
    const stats = await harness.call<Record<string, { dialFailures: number }>>('stats');
    expect(stats['test/slow:p/TCP']!.dialFailures).toBe(1);
  });

  it('retries another endpoint when one refuses: every request still succeeds, and a pinned client moves', async () => {
    const pinned = (await get('http://10.96.0.11/')).name;
    const victim = endpoints.get(pinned as EndpointName)!;
    victim.kill('SIGKILL');
    await victim.catch(() => undefined);
    const rr = await names('http://10.96.0.10/', 6);
    expect(rr.every((n) => n !== pinned)).toBe(true);
    expect(new Set(rr).size).toBe(2);
    const sticky = await names('http://10.96.0.11/', 3);
    expect(sticky[0]).not.toBe(pinned);
    expect(new Set(sticky).size).toBe(1);
    const stats = await harness.call<Record<string, { dialFailures: number; unreachable: number }>>('stats');
    expect(stats['test/rr:p/TCP']!.dialFailures).toBeGreaterThan(0);
    expect(stats['test/rr:p/TCP']!.unreachable).toBe(0);
  });

  it('keeps each listener and its port across syncs that change endpoints, and writes its jumps once', async () => {
    const before = await harness.call<Record<string, number>>('ports');
    await harness.call('sync', { ports: model([ENDPOINTS['ep-b'], ENDPOINTS['ep-c']]) });
    await harness.call('sync', { ports: model([ENDPOINTS['ep-b'], ENDPOINTS['ep-c']]) });
    expect(await harness.call('ports')).toEqual(before);
    expect(await harness.call('flushed')).toBe(false);
    const saved = await iptablesSave();
    for (const target of ['KUBE-PORTALS-CONTAINER', 'KUBE-PORTALS-HOST', 'KUBE-NODEPORT-CONTAINER', 'KUBE-NODEPORT-HOST', 'KUBE-NODEPORT-NON-LOCAL']) {
      expect(saved.split('\n').filter((l) => /^-A (PREROUTING|OUTPUT|INPUT) /.test(l) && l.endsWith(`-j ${target}`))).toHaveLength(1);
    }
    expect(saved).toContain(`-j REDIRECT --to-ports ${before['test/rr:p/TCP']}`);
    const rr = await names('http://10.96.0.10/', 4);
    expect(new Set(rr)).toEqual(new Set(['ep-b', 'ep-c']));
  });

  it('a removed Service port loses its rules and its listener, and a UDP one its REDIRECTed flows in conntrack', async () => {
    const flows = async () => (await sh(NODE, 'conntrack', ['-L', '-p', 'udp', '--orig-dst', '10.96.0.12'])).stdout.trim();
    // one datagram, no reply awaited (the rotation may be at the endpoint killed above: UDP can't tell)
    await sh(POD, 'bash', ['-c', 'echo hello > /dev/udp/10.96.0.12/53']);
    expect(await flows()).toContain('dst=10.96.0.12');
    await harness.call('sync', { ports: model().filter((p) => p.service !== 'empty' && p.service !== 'dns') });
    expect(Object.keys(await harness.call<Record<string, number>>('ports')).sort()).toEqual(['test/rr:p/TCP', 'test/slow:p/TCP', 'test/sticky:p/TCP']);
    const saved = await iptablesSave();
    expect(saved).not.toContain('10.96.0.13');
    expect(saved).not.toContain('10.96.0.12');
    expect(await flows()).toBe('');
  });

  it('close() stops the listeners; cleanup() removes every chain and jump, and succeeds again on nothing', async () => {
    await harness.call('close');
    await harness.call('cleanup');
    const saved = await iptablesSave();
    expect(saved).not.toMatch(/KUBE-(PORTALS|NODEPORT)/);
    expect(await harness.call('flushed')).toBe(true);
    await harness.call('cleanup');
  });
});
