// nginx configurations for the catalogue's nginx-based images: master in the foreground, logs to the
// container's stdout / stderr, temp paths in the container's folder, and one server block.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerContext } from './catalogue.js';

export function nginxConf(dir: string, server: string): string {
  const tmp = (n: string) => `${n}_temp_path ${join(dir, 'tmp', n)};`;
  return `worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  access_log /dev/stdout;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(tmp).join('\n  ')}
  server {
${server}
  }
}
`;
}

/** Writes the config (and temp folders) where the image's nginx will read them. */
export async function writeNginxConf(ctx: ContainerContext, server: string): Promise<void> {
  await mkdir(join(ctx.dir, 'tmp'), { recursive: true });
  await writeFile(join(ctx.dir, 'nginx.conf'), nginxConf(ctx.dir, server));
}

/** The image's `nginx` and `/docker-entrypoint.sh`, pointed at the generated config. */
export const nginxExecutables = (ctx: ContainerContext) => ({
  '/docker-entrypoint.sh': ['/bin/sh', '-c', 'exec "$@"', 'docker-entrypoint.sh'],
  nginx: ['nginx', '-c', join(ctx.dir, 'nginx.conf'), '-p', ctx.dir + '/'],
});
