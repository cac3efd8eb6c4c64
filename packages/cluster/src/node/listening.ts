// Which TCP ports are listening in a network namespace, read from /proc/<pid>/net/tcp of a process in
// it: no process spawned, so the node agent can poll cheaply while a container starts.
import { readFile } from 'node:fs/promises';

export async function listeningPorts(pid: number): Promise<Set<number>> {
  const ports = new Set<number>();
  for (const file of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${file}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') ports.add(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

export async function waitListening(pid: number, ports: number[], timeoutMs: number, alive: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && alive()) {
    const open = await listeningPorts(pid);
    if (ports.every((p) => open.has(p))) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}
