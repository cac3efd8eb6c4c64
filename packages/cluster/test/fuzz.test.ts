import { request, Agent } from 'node:https';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { findResource, resourceTypes } from '../src/apiserver/resources.js';
import { checkShape } from '../src/apiserver/shape.js';
import { validate } from '../src/apiserver/validation.js';
import type { KubeObject } from '../src/apiserver/types.js';
import { startApiServer } from './apiserver-harness.js';

const REQUESTS = 10_000;
let api: Awaited<ReturnType<typeof startApiServer>>;
beforeAll(async () => { api = await startApiServer(); });
afterAll(() => api.close());

// seeded, so a failure can be replayed
let seed = 0x5eed;
const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

const weird: unknown[] = ['', ' ', 'a'.repeat(300), '-bad-', 'Ünïcödé', '../../etc/passwd', '$(rm -rf)', '{}', '\n\r\t', -1, 0, 1.5, 2 ** 40, 70000, true, false, null, [], [1, 'x'], {}, { a: { b: { c: [] } } }];
const bases = (i: number): Array<[string, Record<string, unknown>]> => [
  ['/api/v1/namespaces/default/services', { metadata: { name: `s${i}`, labels: { app: 'x' } }, spec: { selector: { app: 'x' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }], type: 'ClusterIP' } }],
  ['/api/v1/namespaces/default/services', { metadata: { name: `n${i}` }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30000 + (i % 2768) }] } }],
  ['/api/v1/namespaces/default/pods', { metadata: { name: `p${i}` }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }] } }],
  ['/apis/apps/v1/namespaces/default/deployments', { metadata: { name: `d${i}` }, spec: { replicas: 2, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } }],
  ['/api/v1/namespaces/default/configmaps', { metadata: { name: `c${i}` }, data: { k: 'v' } }],
  ['/api/v1/namespaces/default/endpoints', { metadata: { name: `e${i}` }, subsets: [{ addresses: [{ ip: '10.1.2.3' }], ports: [{ port: 80 }] }] }],
  ['/apis/networking.k8s.io/v1/namespaces/default/ingresses', { metadata: { name: `i${i}` }, spec: { rules: [{ host: 'a.b.c', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 's', port: { number: 80 } } } }] } }] } }],
  ['/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', { metadata: { name: `es${i}` }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 80 }] }],
];

/** Replaces, deletes or adds one value somewhere in the object. */
function mutate(v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== 'object' || depth > 6 || rnd() < 0.15) return pick(weird);
  const copy: any = Array.isArray(v) ? [...v] : { ...(v as object) };
  const keys = Object.keys(copy);
  if (keys.length === 0 || rnd() < 0.1) { copy[Array.isArray(copy) ? copy.length : pick(['spec', 'status', 'x', 'ports', 'name', 'metadata'])] = pick(weird); return copy; }
  const k = pick(keys);
  if (rnd() < 0.1) delete copy[k]; else copy[k] = mutate(copy[k], depth + 1);
  return copy;
}

interface Req { method: string; path: string; body?: Buffer | string; type?: string }

function randomRequest(i: number): Req {
  const [collection, obj] = pick(bases(i % 50));
  const name = (obj.metadata as { name: string }).name;
  switch (pick(['create', 'create', 'create', 'update', 'patch', 'get', 'list', 'delete', 'garbage', 'protobuf', 'yaml', 'path'])) {
    case 'create': return { method: 'POST', path: collection, body: JSON.stringify(rnd() < 0.3 ? obj : mutate(obj)) };
    case 'update': return { method: 'PUT', path: `${collection}/${name}`, body: JSON.stringify(mutate(obj)) };
    case 'patch': {
      const type = pick(['application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json', 'text/plain']);
      const body = type === 'application/json-patch+json' ? JSON.stringify([pick([{ op: 'replace', path: '/spec', value: pick(weird) }, { op: 'add', path: '/metadata/labels/x', value: pick(weird) }, { op: 'remove', path: '/nope' }, pick(weird)])]) : JSON.stringify(mutate(obj));
      return { method: 'PATCH', path: `${collection}/${name}${rnd() < 0.2 ? '/status' : ''}`, body, type };
    }
    case 'get': return { method: 'GET', path: `${collection}/${rnd() < 0.5 ? name : encodeURIComponent(String(pick(weird)))}` };
    case 'list': return { method: 'GET', path: `${collection}?labelSelector=${encodeURIComponent(String(pick(['a in (b,c)', 'a!=', '!!', '((', 'x=y,z', String(pick(weird))])))}&fieldSelector=${encodeURIComponent(pick(['metadata.name=x', '=', 'a.b', '']))}&includeObject=Object` };
    case 'delete': return { method: 'DELETE', path: `${collection}/${name}`, body: rnd() < 0.5 ? JSON.stringify(pick(weird)) : undefined };
    case 'garbage': return { method: pick(['POST', 'PUT', 'PATCH']), path: pick([collection, `${collection}/${name}`]), body: Buffer.from(Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256))), type: pick(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']) };
    case 'protobuf': return { method: 'POST', path: collection, body: Buffer.concat([Buffer.from('k8s\0'), Buffer.from(Array.from({ length: 64 }, () => Math.floor(rnd() * 256)))]), type: 'application/vnd.kubernetes.protobuf' };
    case 'yaml': return { method: 'POST', path: collection, body: pick(['a: [', 'kind: Service\nmetadata: 5', '- - -', '{metadata: {name: y}}', '&a [*a]']), type: 'application/yaml' };
    default: return { method: pick(['GET', 'POST', 'DELETE', 'OPTIONS', 'HEAD']), path: pick(['/api/v1/x', '/apis/nope/v1/things', '/api/v1/namespaces//pods', '/api/v1/namespaces/default/pods/p1/exec', '/openapi/v3/x', '/%%%', '/apis/apps/v1/namespaces/default/deployments/d1/scale']) };
  }
}

function send(agent: Agent, r: Req, auth = true): Promise<number> {
  const url = new URL(api.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: r.method, path: r.path, agent, ca: api.caCert,
      headers: { ...(auth ? { Authorization: 'Bearer t0ken' } : {}), 'Content-Type': r.type ?? 'application/json' } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
    req.end(r.body);
  });
}

describe('apiserver under bad input', () => {
  it('refuses a missing token, oversized and malformed bodies with the right codes', async () => {
    const agent = new Agent({ keepAlive: true });
    expect(await send(agent, { method: 'GET', path: '/api/v1/pods' }, false)).toBe(401);
    expect(await send(agent, { method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: JSON.stringify({ metadata: { name: 'big' }, data: { k: 'x'.repeat(3 * 1024 * 1024) } }) })).toBe(413);
    expect(await send(agent, { method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: '{"metadata":' })).toBe(400);
    expect(await send(agent, { method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: 'a: [', type: 'application/yaml' })).toBe(400);
    expect(await send(agent, { method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: 'metadata: {name: from-yaml}\ndata: {a: b}', type: 'application/yaml' })).toBe(201);
    expect(await send(agent, { method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: Buffer.from('k8s\0\x0a\xff'), type: 'application/vnd.kubernetes.protobuf' })).toBe(400);
    expect(await send(agent, { method: 'POST', path: '/api/v1/namespaces/default/services', body: JSON.stringify({ metadata: { name: 'typed' }, spec: { ports: [{ port: '80' }] } }) })).toBe(400);
    expect(await send(agent, { method: 'GET', path: '/api/v1/frobs' })).toBe(404);
    agent.destroy();
  });

  it(`survives ${REQUESTS} random and mutated requests, and everything it stored still validates`, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const codes = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < REQUESTS) {
        const code = await send(agent, randomRequest(next++));
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const serverErrors = [...codes].filter(([c]) => c >= 500 || c === 0);
    expect(serverErrors).toEqual([]);
    expect([...codes.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
    expect(codes.get(201) ?? 0).toBeGreaterThan(100); // the fuzzer also got valid objects through
    expect(await send(agent, { method: 'GET', path: '/version' })).toBe(200);
    for (const t of resourceTypes) {
      for (const o of (api.registry.store.list(t)) as KubeObject[]) {
        expect(() => { checkShape(t, o); validate(t, o); }, `${t.kind} ${o.metadata.name}`).not.toThrow();
      }
    }
    expect(findResource('', 'v1', 'services')).toBeDefined();
    agent.destroy();
  });
});
