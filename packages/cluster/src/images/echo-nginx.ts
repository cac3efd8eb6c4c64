// amsy810/echo-nginx: real nginx answering `Host=… Path=… From=<hostname> ClientIP=… XFF=…`
// on NGINX_PORT (default 80); the pod's UTS namespace makes $hostname the pod name.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerContext, Image } from './catalogue.js';

export function echoNginxConf(dir: string, port: string): string {
  const tmp = (n: string) => `${n}_temp_path ${join(dir, 'tmp', n)};`;
  return `# generated for amsy810/echo-nginx
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log /dev/stdout;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(tmp).join('\n  ')}
  server {
    listen ${port};
    location / {
      default_type text/plain;
      return 200 "Host=$host Path=$request_uri From=$hostname ClientIP=$remote_addr XFF=$http_x_forwarded_for\\n";
    }
  }
}
`;
}

export const echoNginx: Image = {
  repository: 'amsy810/echo-nginx',
  description: 'nginx that echoes the request: Host=… Path=… From=<pod> ClientIP=… XFF=…, port $NGINX_PORT (80)',
  entrypoint: ['/docker-entrypoint.sh'],
  cmd: ['nginx', '-g', 'daemon off;'],
  hostUserland: true,
  listens: (ctx) => [Number(ctx.env.NGINX_PORT || '80')],
  // The image's entrypoint renders the config from NGINX_PORT (prepare), then runs its CMD against it.
  executables: (ctx) => ({
    '/docker-entrypoint.sh': ['/bin/sh', '-c', 'exec "$@"', 'docker-entrypoint.sh'],
    nginx: ['nginx', '-c', join(ctx.dir, 'nginx.conf'), '-p', ctx.dir + '/'],
  }),
  async prepare(ctx: ContainerContext) {
    await mkdir(join(ctx.dir, 'tmp'), { recursive: true });
    await writeFile(join(ctx.dir, 'nginx.conf'), echoNginxConf(ctx.dir, ctx.env.NGINX_PORT || '80'));
  },
};
