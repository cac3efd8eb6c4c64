// The HTTPS front of the embedded apiserver: Kubernetes REST paths, bearer-token auth,
// list / get / watch / create / update / patch / delete, pods/binding and pods/log.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { aggregatedContentType, aggregatedDiscovery, aggregatedVersion, apiGroupDoc, apiGroupList, apiResourceList, apiVersions } from './discovery.js';
import { ApiError, badRequest } from './errors.js';
import type { KubeletDirectory } from './kubelet.js';
import type { Registry } from './registry.js';
import { openapiDoc, openapiIndex } from './openapi.js';
import { readBody } from './body.js';
import { isStreamPath, streamUpgradeHandler } from './streams.js';
import { findResource, groupVersion, type ResourceType } from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { logQuery } from './log-query.js';
import { toTable, wantsTable, type IncludeObject } from './tables.js';
import type { StoredEvent } from './store.js';
import type { KubeObject, WatchEventType } from './types.js';

export const SERVER_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-svclab', gitCommit: '', gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z', goVersion: 'n/a (svclab, TypeScript)', compiler: 'svclab', platform: 'linux/amd64' };

export interface ApiServerOptions {
  tls: { key: string; cert: string };
  token: string;
  registry: Registry;
  kubelets: KubeletDirectory;
  /** address advertised in /api's serverAddressByClientCIDRs */
  advertise: string;
}

interface Route {
  type: ResourceType;
  ns?: string;
  name?: string;
  sub?: string;
}

/** Split a resource path into type, namespace, name and subresource; undefined when it is not one. */
function parseRoute(parts: string[]): Route | undefined {
  let group = '';
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') { version = parts[1] ?? ''; rest = parts.slice(2); } else if (parts[0] === 'apis') {
    group = parts[1] ?? ''; version = parts[2] ?? ''; rest = parts.slice(3);
  } else return undefined;
  if (rest.length === 0) return undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const type = findResource(group, version, rest[2]!);
    if (type?.namespaced) return { type, ns: rest[1], name: rest[3], sub: rest[4] };
  }
  const type = findResource(group, version, rest[0]!);
  if (!type) return undefined;
  return { type, name: rest[1], sub: rest[2] };
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}


/** Serialised watch events, shared by the watchers of one event and dropped with it. */
const eventText = new WeakMap<StoredEvent, Partial<Record<WatchEventType, string>>>();

const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

function send(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function createApiServer(opts: ApiServerOptions): Server {
  const { registry } = opts;
  const store = registry.store;

  const listObject = (t: ResourceType, route: Route, q: URLSearchParams) => {
    const labels = parseLabelSelector(q.get('labelSelector') ?? undefined);
    const fields = parseFieldSelector(q.get('fieldSelector') ?? undefined);
    // list items carry no apiVersion/kind (as upstream's); shallow copies leave the stored objects alone
    const items = store.list(t, route.ns, true).filter((o) => labels(o.metadata.labels ?? {}) && fields(o)).map(({ apiVersion: _a, kind: _k, ...rest }) => rest as KubeObject);
    return { kind: `${t.kind}List`, apiVersion: groupVersion(t), metadata: { resourceVersion: String(store.resourceVersion) }, items };
  };

  const watch = (req: IncomingMessage, res: ServerResponse, t: ResourceType, route: Route, q: URLSearchParams) => {
    const labels = parseLabelSelector(q.get('labelSelector') ?? undefined);
    const fields = parseFieldSelector(q.get('fieldSelector') ?? (route.name ? `metadata.name=${route.name}` : undefined));
    const match = (o: KubeObject | undefined) =>
      !!o && (!route.ns || o.metadata.namespace === route.ns) && labels(o.metadata.labels ?? {}) && fields(o);
    const rvParam = q.get('resourceVersion');
    const table = wantsTable(req.headers.accept);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    // with a Table Accept header, each object travels as a one-row Table (kubectl get -w)
    const wrap = (type: string, object: unknown) => table && type !== 'ERROR' && type !== 'BOOKMARK'
      ? toTable(t, [object as KubeObject], (object as KubeObject).metadata.resourceVersion ?? '', includeObject(q)) : object;
    const write = (type: WatchEventType | 'BOOKMARK' | 'ERROR', object: unknown) => res.write(JSON.stringify({ type, object: wrap(type, object) }) + '\n');
    // every plain-JSON watcher of an event gets the same text: serialise it once (watch fan-out)
    const writeEvent = (type: WatchEventType, e: StoredEvent) => {
      if (table) return write(type, e.object);
      let texts = eventText.get(e);
      if (!texts) eventText.set(e, (texts = {}));
      res.write((texts[type] ??= JSON.stringify({ type, object: e.object }) + '\n'));
    };
    let backlog: StoredEvent[] | undefined;
    try {
      backlog = rvParam && rvParam !== '0' ? store.eventsSince(Number(rvParam)) : undefined;
    } catch (e) {
      // as kube-apiserver: the stream opens, carries one ERROR event with the 410 Status, and ends
      write('ERROR', (e as ApiError).toStatus());
      res.end();
      return;
    }
    const dispatch = (e: StoredEvent) => {
      if (e.resource !== t) return;
      const now = e.type !== 'DELETED' && match(e.object);
      const before = e.type !== 'ADDED' && match(e.previous);
      if (now && before) writeEvent('MODIFIED', e);
      else if (now) writeEvent('ADDED', e);
      else if (before) writeEvent('DELETED', e);
    };
    if (backlog) backlog.forEach(dispatch);
    else for (const o of store.list(t, route.ns, true)) if (match(o)) write('ADDED', o);
    const stop = store.watch(dispatch);
    const timers: NodeJS.Timeout[] = [];
    if (q.get('allowWatchBookmarks') === 'true') {
      timers.push(setInterval(() => write('BOOKMARK', { kind: t.kind, apiVersion: groupVersion(t), metadata: { resourceVersion: String(store.resourceVersion) } }), 30_000));
    }
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    // Upstream ends every watch within --min-request-timeout (1800 s) randomised; clients re-watch.
    timers.push(setTimeout(() => res.end(), (timeout > 0 ? timeout : 1800 + Math.random() * 1800) * 1000));
    const close = () => { stop(); timers.forEach((x) => clearTimeout(x)); };
    req.on('close', close);
    res.on('close', close);
  };

  const handleResource = async (req: IncomingMessage, res: ServerResponse, route: Route, q: URLSearchParams) => {
    const { type: t, ns, name, sub } = route;
    const method = req.method ?? 'GET';
    const dryRun = q.getAll('dryRun').includes('All');
    // the field manager: as given, else the client's program name from its User-Agent (as upstream)
    const manager = q.get('fieldManager') ?? (String(req.headers['user-agent'] ?? '').split('/')[0]!.trim() || 'unknown');
    if (method === 'GET') {
      if (q.get('watch') === 'true' || q.get('watch') === '1') return watch(req, res, t, route, q);
      if (sub === 'log') return serveLog(res, route, q);
      if (sub === 'scale' && t.subresources.includes('scale')) return send(res, 200, registry.getScale(t, ns, name!));
      if (sub && sub !== 'status') throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      if (wantsTable(req.headers.accept) && !sub) {
        const items = name ? [store.get(t, ns, name)] : (listObject(t, route, q).items as KubeObject[]);
        return send(res, 200, toTable(t, items, String(store.resourceVersion), includeObject(q)), TABLE_CONTENT_TYPE);
      }
      if (!name) return send(res, 200, listObject(t, route, q));
      return send(res, 200, store.get(t, ns, name));
    }
    if (method === 'POST') {
      const body = (await readBody(req)) as KubeObject;
      if (name && sub === 'binding' && t.kind === 'Pod') return send(res, 201, registry.bind(ns!, name, body as Record<string, unknown>));
      if (name) throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      return send(res, 201, registry.create(t, ns, body, { dryRun, manager }));
    }
    if (!name) throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    if (sub === 'scale' && t.subresources.includes('scale')) {
      if (method === 'PUT') return send(res, 200, registry.updateScale(t, ns, name, (await readBody(req)) as Record<string, unknown>, { dryRun, manager }));
      if (method === 'PATCH') return send(res, 200, registry.patchScale(t, ns, name, req.headers['content-type'] ?? '', await readBody(req), { dryRun, manager }));
    }
    if (method === 'PUT') return send(res, 200, registry.update(t, ns, name, (await readBody(req)) as KubeObject, sub, { dryRun, manager: sub ? undefined : manager }));
    if (method === 'PATCH') {
      const type = req.headers['content-type'] ?? '';
      if (type.startsWith('application/apply-patch+yaml') && !sub) {
        const r = registry.apply(t, ns, name, await readBody(req), { dryRun, manager: q.get('fieldManager') ?? undefined, force: q.get('force') === 'true' });
        return send(res, r.created ? 201 : 200, r.object);
      }
      return send(res, 200, registry.patch(t, ns, name, type, await readBody(req), sub, { dryRun, manager: sub ? undefined : manager }));
    }
    if (method === 'DELETE') {
      const body = (await readBody(req)) as { propagationPolicy?: string; gracePeriodSeconds?: number; preconditions?: { uid?: string } } | undefined;
      const grace = q.get('gracePeriodSeconds') ?? body?.gracePeriodSeconds;
      return send(res, 200, registry.delete(t, ns, name, {
        dryRun, propagationPolicy: q.get('propagationPolicy') ?? body?.propagationPolicy ?? 'Background',
        gracePeriodSeconds: grace === undefined || grace === null ? undefined : Number(grace), preconditions: body?.preconditions,
      }));
    }
    throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  };

  const serveLog = async (res: ServerResponse, route: Route, q: URLSearchParams) => {
    const pod = store.get(route.type, route.ns, route.name!) as KubeObject & { spec: { nodeName?: string; containers: { name: string }[] } };
    const container = q.get('container') ?? undefined;
    if (!container && pod.spec.containers.length > 1) {
      throw badRequest(`a container name must be specified for pod ${route.name}, choose one of: [${pod.spec.containers.map((c) => c.name).join(' ')}]`);
    }
    const kubelet = pod.spec.nodeName ? opts.kubelets.get(pod.spec.nodeName) : undefined;
    if (!kubelet) throw badRequest(`container "${container ?? pod.spec.containers[0]!.name}" in pod "${route.name}" is waiting to start: ContainerCreating`);
    const stream = await kubelet.logs(pod, { container, ...logQuery(q, route.name!) });
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    stream.pipe(res);
    res.on('close', () => stream.destroy());
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://apiserver');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/healthz' || path === '/livez' || path === '/readyz') { res.writeHead(200, { 'Content-Type': 'text/plain' }); return res.end('ok'); }
    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      return send(res, 401, new ApiError(401, 'Unauthorized', 'Unauthorized').toStatus());
    }
    if (path === '/version') return send(res, 200, SERVER_VERSION);
    const aggregated = aggregatedVersion(req.headers.accept);
    if ((path === '/api' || path === '/apis') && aggregated) return send(res, 200, aggregatedDiscovery(path === '/api', aggregated), aggregatedContentType(aggregated));
    if (path === '/api') return send(res, 200, apiVersions(opts.advertise));
    if (path === '/apis') return send(res, 200, apiGroupList());
    if (path === '/openapi/v3') return send(res, 200, openapiIndex());
    if (path.startsWith('/openapi/v3/')) return sendOr404(res, openapiDoc(path.slice('/openapi/v3/'.length)));
    const parts = path.split('/').filter(Boolean);
    if (parts[0] === 'api' && parts.length === 2) return sendOr404(res, apiResourceList('', parts[1]!));
    if (parts[0] === 'apis' && parts.length === 2) return sendOr404(res, apiGroupDoc(parts[1]!));
    if (parts[0] === 'apis' && parts.length === 3) return sendOr404(res, apiResourceList(parts[1]!, parts[2]!));
    // exec / attach are WebSocket upgrades; kubectl falls back to SPDY with a plain POST, which we do not speak
    if (isStreamPath(path)) return send(res, 400, new ApiError(400, 'BadRequest', 'Upgrade request required: exec and attach are served over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io)').toStatus());
    const route = parseRoute(parts);
    if (!route) return send(res, 404, new ApiError(404, 'NotFound', 'the server could not find the requested resource').toStatus());
    return handleResource(req, res, route, url.searchParams);
  };

  const server = createServer({ key: opts.tls.key, cert: opts.tls.cert }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
      if (!(e instanceof ApiError)) process.stderr.write(`apiserver: internal error on ${req.method} ${req.url}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}\n`);
      if (res.headersSent) { res.end(); return; }
      send(res, err.code, err.toStatus());
    });
  });
  const upgrade = streamUpgradeHandler({ token: opts.token, store, kubelets: opts.kubelets });
  server.on('upgrade', (req, socket, head) => { void upgrade(req, socket, head); });
  return server;
}

function sendOr404(res: ServerResponse, doc: unknown): void {
  if (doc) send(res, 200, doc);
  else send(res, 404, new ApiError(404, 'NotFound', 'the server could not find the requested resource').toStatus());
}
