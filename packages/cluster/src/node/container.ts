// A container: the image's program run inside the pod sandbox's namespaces (nsenter into the pause
// process), with the pod's environment, its stdout and stderr appended to the container log file.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { constants } from 'node:os';
import { access, mkdir, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { execa } from 'execa';
import { delimiter, isAbsolute, join } from 'node:path';
import type { ContainerContext, Image } from '../images/catalogue.js';
import { logSize, writeCriLog } from './cri-log.js';

export const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ContainerSpec {
  name: string;
  image: Image;
  command?: string[];
  args?: string[];
  env: Record<string, string>;
  workingDir?: string;
  /** keep the container's stdin open for attach (spec.stdin) */
  stdin?: boolean;
}

export interface RunningContainer {
  process: ChildProcess;
  logPath: string;
  /** where this run's output starts in the log file (it is appended across restarts) */
  logStart: number;
  startedAt: string;
  exited: Promise<{ exitCode: number; signal?: string; finishedAt: string }>;
}

export class StartError extends Error {}

/** nsenter arguments that enter a pod sandbox's network, UTS and mount namespaces. */
export const enterPod = (pausePid: number) => ['--target', String(pausePid), '--net', '--uts', '--mount'];

export const containerEnv = (podName: string, env: Record<string, string>) => ({ PATH: CONTAINER_PATH, HOSTNAME: podName, HOME: '/root', ...env });

/** $(VAR) references in command and args, expanded from the container env as kubelet does; $$ escapes. */
export function expandVars(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) => (m === '$$' ? '$' : name! in env ? env[name!]! : m));
}

/** Docker's ENTRYPOINT/CMD rules under Kubernetes' command/args override. */
export function containerArgv(spec: ContainerSpec): string[] {
  const entry = spec.command ?? spec.image.entrypoint;
  const args = spec.args ?? (spec.command ? [] : spec.image.cmd);
  return [...entry, ...args].map((a) => expandVars(a, spec.env));
}

async function onHostPath(name: string): Promise<string | undefined> {
  const dirs = isAbsolute(name) ? [''] : CONTAINER_PATH.split(delimiter);
  for (const d of dirs) {
    const p = d ? join(d, name) : name;
    try { await access(p, fsConstants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}

export async function resolveArgv(argv: string[], image: Image, ctx: ContainerContext): Promise<string[]> {
  const [exe, ...rest] = argv;
  if (!exe) throw new StartError('no command specified');
  const own = image.executables?.(ctx)[exe];
  if (own) {
    // an entrypoint wrapper (`dumb-init --`) may itself run another of the image's executables
    const at = rest[0] === '--' ? 1 : 0;
    const inner = rest.length > at && image.executables?.(ctx)[rest[at]!];
    return inner ? [...own, ...inner, ...rest.slice(at + 1)] : [...own, ...rest];
  }
  const found = image.hostUserland ? await onHostPath(exe) : undefined;
  if (!found) throw new StartError(`exec: "${exe}": executable file not found in $PATH`);
  return [found, ...rest];
}

/** A FIFO with its read end as a stream here and its write end as an fd to hand to a child. */
async function fifo(path: string): Promise<{ reader: Socket; writeFd: number }> {
  await rm(path, { force: true });
  await execa('mkfifo', ['-m', '600', path]);
  const readFd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  const writeFd = openSync(path, fsConstants.O_WRONLY);
  return { reader: new Socket({ fd: readFd, readable: true, writable: false }), writeFd };
}

export async function startContainer(pausePid: number, dir: string, podName: string, spec: ContainerSpec): Promise<RunningContainer> {
  await mkdir(dir, { recursive: true });
  const ctx: ContainerContext = { podName, dir, env: spec.env };
  await spec.image.prepare?.(ctx);
  const argv = await resolveArgv(containerArgv(spec), spec.image, ctx);
  const logPath = join(dir, 'container.log');
  const env = containerEnv(podName, spec.env);
  // node's spawn, in its own process group. stdout and stderr are FIFOs, as containerd gives them
  // (images reopen /dev/stdout, which a socketpair would refuse), relayed into the CRI-format log.
  const logStart = await logSize(logPath);
  const [out, err] = await Promise.all([fifo(join(dir, 'stdout.fifo')), fifo(join(dir, 'stderr.fifo'))]);
  const child = spawn('nsenter', [...enterPod(pausePid), ...(spec.workingDir ? [`--wdir=${spec.workingDir}`] : []), '--', ...argv], {
    env, stdio: [spec.stdin ? 'pipe' : 'ignore', out.writeFd, err.writeFd], detached: true,
  });
  closeSync(out.writeFd);
  closeSync(err.writeFd);
  const logged = Promise.all([writeCriLog(logPath, 'stdout', out.reader), writeCriLog(logPath, 'stderr', err.reader)]);
  const exited = new Promise<{ exitCode: number; signal?: string; finishedAt: string }>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null) => resolve({
      exitCode: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1), signal: signal ?? undefined,
      finishedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    });
    child.once('exit', (code, signal) => void logged.then(() => done(code, signal)));
    child.once('error', () => done(127, null));
  });
  return { process: child, logPath, logStart, startedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), exited };
}

export async function stopContainer(c: RunningContainer, graceMs: number): Promise<void> {
  const pid = c.process.pid;
  if (pid === undefined || c.process.exitCode !== null || c.process.signalCode !== null) return;
  const kill = (sig: NodeJS.Signals) => { try { process.kill(-pid, sig); } catch { /* gone */ } };
  kill('SIGTERM');
  const timer = setTimeout(() => kill('SIGKILL'), graceMs);
  await c.exited;
  clearTimeout(timer);
}
