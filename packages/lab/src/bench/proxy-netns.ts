// The network namespaces and processes of `pnpm bench proxy`: every namespace is named
// svb-<run id>-<role>, and everything is removed on the way out, also on an error or a signal:
// each process still inside one of our namespaces (long-lived children, and any iptables-restore
// or nft still running) is killed by pid (`ip netns pids`), then the namespace is deleted.
// A detached reaper does the same if this process dies without cleaning up: under tsx, a Ctrl-C
// that finds the event loop busy (a render takes 100s of ms) ends in SIGKILL within 60 ms.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { resolveModule } from '@svclab/kube';
import { execa, type ResultPromise } from 'execa';

/** the client's end of the veth: the "node" whose rules are measured */
export const CLIENT_IP = '10.250.0.1';
/** the server's end; the endpoint addresses (SERVER_ENDPOINTS) are routed through it */
export const SERVER_IP = '10.250.0.2';

export interface Pair { client: string; server: string }

export class Namespaces {
  readonly id = randomBytes(3).toString('hex');
  private readonly names = new Set<string>();
  private readonly children = new Set<ResultPromise>();
  private serial = 0;
  /** set by cleanup(): the bench is stopping, nothing new may start */
  private closed = false;

  private reaper?: ChildProcess;

  /**
   * Starts the reaper: a plain node process in its own session (a terminal's Ctrl-C does not reach
   * it) that waits for its stdin, a pipe from this process, to close, which happens however this
   * process ends, and then removes whatever is left of svb-<id>-*.
   */
  guard(): void {
    const child = spawn(process.execPath, ['-e', REAPER, `svb-${this.id}-`], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    child.unref();
    (child.stdin as unknown as { unref(): void }).unref();
    this.reaper = child;
  }

  /** a fresh namespace with lo up */
  async create(role: string): Promise<string> {
    if (this.closed) throw new Error('the bench is stopping');
    const name = `svb-${this.id}-${role}${++this.serial}`;
    this.names.add(name);
    await execa('ip', ['netns', 'add', name]);
    // a cleanup that ran while this was being added has already passed this name by
    if (this.closed) { await execa('ip', ['netns', 'del', name], { reject: false }); throw new Error('the bench is stopping'); }
    await execa('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /**
   * A client namespace (where the rules go and the client runs) joined by a veth to a server
   * namespace holding the endpoint addresses; the client's default route points at the server.
   */
  async pair(endpoints: readonly string[]): Promise<Pair> {
    const client = await this.create('c');
    const server = await this.create('s');
    await execa('ip', ['-n', client, '-b', '-'], {
      input: [
        `link add eth0 type veth peer name eth0 netns ${server}`,
        `addr add ${CLIENT_IP}/24 dev eth0`, 'link set eth0 up', `route add default via ${SERVER_IP}`,
      ].join('\n') + '\n',
    });
    await execa('ip', ['-n', server, '-b', '-'], {
      input: [`addr add ${SERVER_IP}/24 dev eth0`, 'link set eth0 up', ...endpoints.map((ip) => `addr add ${ip}/32 dev lo`)].join('\n') + '\n',
    });
    return { client, server };
  }

  /** kills what runs in the namespaces, then deletes them */
  async remove(...names: string[]): Promise<void> {
    for (const name of names) {
      if (!this.names.has(name)) continue;
      const pids = await execa('ip', ['netns', 'pids', name], { reject: false });
      for (const pid of pids.stdout.split('\n').map(Number).filter((p) => p > 0)) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      }
      await execa('ip', ['netns', 'del', name], { reject: false });
      this.names.delete(name);
    }
  }

  /** a command in a namespace, to completion */
  exec(ns: string, cmd: string, args: string[], input?: string) {
    return execa('ip', ['netns', 'exec', ns, cmd, ...args], { input, reject: false });
  }

  /** one of this directory's proxy-*.ts scripts, under tsx, in a namespace; stdin and stdout are pipes */
  script(ns: string, file: string, args: string[]): ResultPromise {
    if (this.closed) throw new Error('the bench is stopping');
    const path = fileURLToPath(new URL(file, import.meta.url));
    const child = execa('ip', ['netns', 'exec', ns, process.execPath, '--import', resolveModule('tsx', import.meta.url), path, ...args],
      { stdin: 'pipe', stderr: 'pipe', reject: false, buffer: false });
    this.children.add(child);
    void child.finally(() => this.children.delete(child));
    return child;
  }

  async cleanup(): Promise<void> {
    this.closed = true;
    for (const c of this.children) c.kill('SIGKILL');
    await this.remove(...this.names);
    this.reaper?.stdin?.end(); // it finds nothing left and exits
  }
}

/** the reaper (plain JS for `node -e`, argv[1] the name prefix) */
const REAPER = `
const { execFileSync } = require('node:child_process');
const prefix = process.argv[1];
const ip = (args) => { try { return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }); } catch { return ''; } };
process.stdin.on('data', () => undefined);
process.stdin.on('close', () => {
  for (const line of ip(['netns', 'list']).split('\\n')) {
    const name = line.split(' ')[0];
    if (!name || !name.startsWith(prefix)) continue;
    for (const pid of ip(['netns', 'pids', name]).split('\\n').map(Number).filter((p) => p > 0)) { try { process.kill(pid, 'SIGKILL'); } catch {} }
    ip(['netns', 'del', name]);
  }
  process.exit(0);
});
`;
