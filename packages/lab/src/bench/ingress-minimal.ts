// Figure 1's reference: a hand-written minimal nginx reverse proxy, started in the controller pod's
// network namespace beside the controller's own nginx: an `upstream` with the same pod IPs, `proxy_pass`,
// the same worker count, and, so that both reuse their upstream connections alike, the controller's
// upstream keepalive (keepalive 320, keepalive_requests 10000, HTTP/1.1 with an empty Connection
// header). access_log off, as the controller's. Nothing else: no Lua, no headers, no maps.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { childPids, killQuietly } from '../../../ingress/src/nginx/processes.js';
import { waitFor } from '../wait.js';

export const MINIMAL_PORT = 18080;

export function minimalConf(dir: string, workers: number, endpoints: string[], port = MINIMAL_PORT): string {
  return `daemon off;
master_process on;
worker_processes ${workers};
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;
events {}
http {
    access_log off;
    client_body_temp_path ${join(dir, 'body')};
    proxy_temp_path ${join(dir, 'proxy')};
    upstream pods {
${endpoints.map((e) => `        server ${e};`).join('\n')}
        keepalive 320;
        keepalive_requests 10000;
    }
    server {
        listen ${port};
        location / {
            proxy_pass http://pods;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
`;
}

export class MinimalNginx {
  private constructor(private readonly child: ResultPromise, readonly dir: string, readonly conf: string) {}

  /** starts it in `netns`, and waits until it answers on its port */
  static async start(netns: string, workers: number, endpoints: string[]): Promise<MinimalNginx> {
    const dir = await mkdtemp(join(tmpdir(), 'svb-ingress-minimal-'));
    const conf = minimalConf(dir, workers, endpoints);
    await writeFile(join(dir, 'nginx.conf'), conf);
    const child = execa('nsenter', [`--net=/run/netns/${netns}`, '--', 'nginx', '-p', `${dir}/`, '-c', join(dir, 'nginx.conf')],
      { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', reject: false, buffer: false, cleanup: true });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    const m = new MinimalNginx(child, dir, conf);
    try {
      await waitFor('the minimal nginx to listen', async () => {
        if (child.exitCode !== null) throw new Error(`the minimal nginx exited: ${stderr.trim()}`);
        const r = await execa('nsenter', [`--net=/run/netns/${netns}`, '--', 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '1', `http://127.0.0.1:${MINIMAL_PORT}/`], { reject: false });
        return r.stdout === '200';
      }, 10_000, 50);
    } catch (e) {
      await m.stop();
      throw e;
    }
    return m;
  }

  get pid(): number | undefined { return this.child.pid; }

  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined) {
      const workers = childPids(pid);
      killQuietly(pid, 'SIGQUIT');
      const quit = await Promise.race([this.child.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
      if (!quit) killQuietly(pid, 'SIGKILL');
      for (const w of workers) killQuietly(w, 'SIGKILL');
      await this.child;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
