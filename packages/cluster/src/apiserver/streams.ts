// pods/exec and pods/attach over WebSocket with the Kubernetes channel protocol: binary frames
// [channel][payload], 0 stdin, 1 stdout, 2 stderr, 3 status (a metav1.Status, sent last), 4 resize;
// v5.channel.k8s.io adds a CLOSE frame [255, channel] (kubectl offers only v5; client-node v5…v1).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError } from './errors.js';
import type { KubeletDirectory, StreamSession } from './kubelet.js';
import { findResource } from './resources.js';
import type { Store } from './store.js';
import type { KubeObject } from './types.js';

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const STREAM_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach)$/;

export const isStreamPath = (path: string) => STREAM_PATH.test(path);

const flag = (q: URLSearchParams, k: string) => q.get(k) === 'true' || q.get(k) === '1';

function exitStatus(exitCode: number | undefined, command: string[], error?: string): Record<string, unknown> {
  if (error) return { metadata: {}, status: 'Failure', message: error, reason: 'InternalError', code: 500 };
  if (!exitCode) return { metadata: {}, status: 'Success' };
  return {
    metadata: {}, status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

type Deps = { token: string; store: Store; kubelets: KubeletDirectory };

export function streamUpgradeHandler(deps: Deps) {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false });

  const refuse = (socket: Duplex, e: ApiError) => {
    const body = JSON.stringify(e.toStatus());
    socket.end(`HTTP/1.1 ${e.code} ${e.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  };

  return async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://apiserver');
    const m = url.pathname.match(STREAM_PATH);
    if (!m) return refuse(socket, new ApiError(404, 'NotFound', 'the server could not find the requested resource'));
    if (req.headers.authorization !== `Bearer ${deps.token}`) return refuse(socket, new ApiError(401, 'Unauthorized', 'Unauthorized'));
    // only WebSocket: checked before anything starts, so a refused upgrade leaves no process behind
    if (req.method !== 'GET' || String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      return refuse(socket, new ApiError(400, 'BadRequest', `${String(req.headers.upgrade ?? 'this')} upgrade is not supported: exec, attach and port-forward are served over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io), which kubectl >= 1.30 uses; with kubectl 1.29 set KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true`));
    }
    const [, namespace, name, kind] = m as unknown as [string, string, string, 'exec' | 'attach'];
    const q = url.searchParams;
    let session: StreamSession;
    let command: string[] = [];
    try {
      const pod = deps.store.get(findResource('', 'v1', 'pods')!, namespace, name) as KubeObject & { spec: { nodeName?: string; containers: { name: string }[] }; status?: { phase?: string } };
      const container = q.get('container') ?? pod.spec.containers[0]!.name;
      if (!pod.spec.containers.some((c) => c.name === container)) throw new ApiError(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
        throw new ApiError(400, 'BadRequest', `cannot ${kind} into a container in a completed pod; current phase is ${pod.status.phase}`);
      }
      const kubelet = pod.spec.nodeName ? deps.kubelets.get(pod.spec.nodeName) : undefined;
      if (!kubelet) throw new ApiError(400, 'BadRequest', `pod ${name} does not have a host assigned`);
      const opts = { container, stdin: flag(q, 'stdin'), tty: flag(q, 'tty') };
      command = q.getAll('command');
      if (kind === 'exec' && command.length === 0) throw new ApiError(400, 'BadRequest', 'you must specify at least 1 command');
      session = kind === 'exec' ? await kubelet.exec(pod, command, opts) : await kubelet.attach(pod, opts);
    } catch (e) {
      return refuse(socket, e instanceof ApiError ? e : new ApiError(500, 'InternalError', (e as Error).message));
    }
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, session, kind === 'exec' ? command : undefined, flag(q, 'stdout'), flag(q, 'stderr')));
  };
}

/** `command` is set for exec: only exec reports the exit code (attach's client reads the pod status). */
function serve(ws: WebSocket, s: StreamSession, command: string[] | undefined, stdout: boolean, stderr: boolean): void {
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  const frame = (channel: number, data: Buffer | string) => { if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)])); };
  const pipes: Promise<void>[] = [];
  const pump = (stream: NodeJS.ReadableStream | undefined, channel: number, wanted: boolean) => {
    if (!stream) return;
    pipes.push(new Promise((resolve) => {
      stream.on('data', (d: Buffer) => { if (wanted) frame(channel, d); });
      stream.on('end', resolve); stream.on('close', resolve); stream.on('error', () => resolve());
    }));
  };
  pump(s.stdout, 1, stdout);
  pump(s.stderr, 2, stderr);
  ws.on('message', (data: Buffer) => {
    if (data.length === 0) return;
    const channel = data[0];
    if (channel === 0 && s.stdin && !s.stdin.destroyed) s.stdin.write(data.subarray(1));
    if (v5 && channel === 255 && data[1] === 0) s.stdin?.end();
  });
  ws.on('close', () => s.close());
  void s.done.then(async (r) => {
    await Promise.race([Promise.all(pipes), new Promise((res) => setTimeout(res, 1000))]);
    frame(3, JSON.stringify(exitStatus(command ? r.exitCode : undefined, command ?? [], r.error)));
    ws.close(1000);
  });
}
