// amsy810/echo-nginx: real nginx answering `Host=… Path=… From=<hostname> ClientIP=… XFF=…`
// on NGINX_PORT (default 80); the pod's UTS namespace makes $hostname the pod name.
import type { Image } from './catalogue.js';
import { nginxExecutables, writeNginxConf } from './nginx-conf.js';

const port = (env: Record<string, string>) => env.NGINX_PORT || '80';

export const echoNginx: Image = {
  repository: 'amsy810/echo-nginx',
  description: 'nginx that echoes the request: Host=… Path=… From=<pod> ClientIP=… XFF=…, port $NGINX_PORT (80)',
  entrypoint: ['/docker-entrypoint.sh'],
  cmd: ['nginx', '-g', 'daemon off;'],
  hostUserland: true,
  listens: (ctx) => [Number(port(ctx.env))],
  // the image's entrypoint renders the config from NGINX_PORT, then runs its CMD against it
  executables: nginxExecutables,
  prepare: (ctx) => writeNginxConf(ctx, `    listen ${port(ctx.env)};
    location / {
      default_type text/plain;
      return 200 "Host=$host Path=$request_uri From=$hostname ClientIP=$remote_addr XFF=$http_x_forwarded_for\\n";
    }`),
};
