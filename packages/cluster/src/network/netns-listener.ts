// A listening socket in another network namespace, served from this process: the socket's
// namespace is fixed when it is created, so a helper started in that namespace creates it and
// passes it back over IPC. This is how the apiserver answers on the control-plane node's address
// without any port forwarding in the host's namespace.
import type { Server } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLUSTER_PKG } from '../programs/bundle.js';
import { NETNS_DIR } from './ip.js';

// located from the package root: this module may run from the bundled daemon
const helper = join(CLUSTER_PKG, 'src', 'network', 'listen-in-netns.mjs');

export async function listenInNetns(netns: string, host: string, port: number): Promise<Server> {
  const child = execa('nsenter', [`--net=${NETNS_DIR}/${netns}`, '--', process.execPath, helper, host, String(port)], {
    ipc: true, serialization: 'advanced', stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', reject: false,
  });
  const handle = await new Promise<Server>((resolve, reject) => {
    child.on('message', (msg: unknown, h?: unknown) => {
      if (msg === 'listening' && h) resolve(h as Server);
      else reject(new Error(`cannot listen on ${host}:${port} in ${netns}: ${(msg as { error?: string })?.error ?? 'no socket'}`));
    });
    void child.then((r) => reject(new Error(`cannot listen on ${host}:${port} in ${netns}: ${String(r.stderr) || `exit ${r.exitCode}`}`)));
  });
  await child;
  return handle;
}
