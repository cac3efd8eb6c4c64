// nginx (the Docker library image): real nginx serving /usr/share/nginx/html on port 80 with the
// "Welcome to nginx!" page; each pod has its own writable copy of that folder (tutorial 000 writes
// each pod's IP into its index.html with kubectl exec).
import type { Image } from './catalogue.js';
import { nginxExecutables, writeNginxConf } from './nginx-conf.js';

export const nginx: Image = {
  repository: 'nginx',
  description: 'nginx serving /usr/share/nginx/html (per pod, writable) on port 80',
  entrypoint: ['/docker-entrypoint.sh'],
  cmd: ['nginx', '-g', 'daemon off;'],
  hostUserland: true,
  listens: () => [80],
  privateDirs: ['/usr/share/nginx/html'],
  executables: nginxExecutables,
  prepare: (ctx) => writeNginxConf(ctx, `    listen 80;
    listen [::]:80;
    server_name localhost;
    location / {
      root /usr/share/nginx/html;
      index index.html index.htm;
    }
    error_page 500 502 503 504 /50x.html;
    location = /50x.html { root /usr/share/nginx/html; }`),
};
