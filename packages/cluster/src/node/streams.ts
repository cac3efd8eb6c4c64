// The kubelet's streaming side: exec (a new process in a container's namespaces) and attach (the
// container's own stdin, and its stdout / stderr as the CRI log grows).
import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import type { StreamSession } from '../apiserver/kubelet.js';
import type { Image } from '../images/catalogue.js';
import { containerEnv, enterPod, resolveArgv, StartError, type RunningContainer } from './container.js';
import { logSize, readCriLog } from './cri-log.js';

export async function execInContainer(pausePid: number, image: Image, ctx: { podName: string; dir: string; env: Record<string, string> }, command: string[], o: { stdin: boolean; tty: boolean }): Promise<StreamSession> {
  let argv: string[];
  try {
    argv = await resolveArgv(command, image, ctx);
  } catch (e) {
    const why = e instanceof StartError ? e.message : (e as Error).message;
    // containerd's words for it, which kubectl shows as an internal error
    const empty = new PassThrough(); empty.end();
    return { stdout: empty, done: Promise.resolve({ error: `Internal error occurred: error executing command in container: failed to exec in container: OCI runtime exec failed: exec failed: unable to start container process: ${why}: unknown` }), close: () => undefined };
  }
  const child = spawn('nsenter', [...enterPod(pausePid), '--', ...argv], { env: containerEnv(ctx.podName, ctx.env), stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  // without a pseudo-terminal a tty session still gets one output stream, as with `-t`
  let stdout: Readable = child.stdout!;
  let stderr: Readable | undefined = child.stderr!;
  if (o.tty) { const merged = new PassThrough(); child.stdout!.pipe(merged, { end: false }); child.stderr!.pipe(merged, { end: false }); child.once('close', () => merged.end()); stdout = merged; stderr = undefined; }
  const done = new Promise<{ exitCode?: number; error?: string }>((resolve) => {
    child.once('close', (code, signal) => resolve({ exitCode: code ?? (signal ? 128 + 9 : 1) }));
    child.once('error', (e) => resolve({ error: e.message }));
  });
  return { stdin: child.stdin ?? undefined, stdout, stderr, done, close: () => { if (child.exitCode === null) child.kill('SIGKILL'); } };
}

export async function attachToContainer(c: RunningContainer, o: { stdin: boolean; fromStart: boolean }, stdinOnce: boolean): Promise<StreamSession> {
  const exited = c.exited.then((r) => ({ exitCode: r.exitCode }));
  const start = o.fromStart ? c.logStart : await logSize(c.logPath);
  const follow = readCriLog(c.logPath, start, exited);
  const stdin = o.stdin && c.process.stdin ? c.process.stdin : undefined;
  const session: StreamSession = {
    stdout: follow.stdout, stderr: follow.stderr, done: exited,
    close: () => { follow.stop(); if (stdinOnce) c.process.stdin?.end(); },
  };
  if (stdin) session.stdin = stdin;
  return session;
}
