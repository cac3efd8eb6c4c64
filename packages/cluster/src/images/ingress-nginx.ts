// registry.k8s.io/ingress-nginx/controller: svclab's ingress controller (packages/ingress) driving the
// host's real nginx inside the pod, at the image's /nginx-ingress-controller path. nginx.conf,
// certificates and temp files go to the container's private folder (the image's /etc/nginx).
import { bundlePath } from '../programs/bundle.js';
import type { Image } from './catalogue.js';

export const ingressNginx: Image = {
  repository: 'registry.k8s.io/ingress-nginx/controller',
  description: 'svclab ingress controller (TypeScript) on the host nginx with its Lua module',
  entrypoint: ['/usr/bin/dumb-init', '--'],
  cmd: ['/nginx-ingress-controller'],
  executables: (ctx) => ({
    '/usr/bin/dumb-init': ['/bin/sh', '-c', 'if [ "$1" = -- ]; then shift; fi; exec "$@"', 'dumb-init'],
    // the cluster builds the bundle before it installs the add-on (see addons/install-ingress.ts)
    '/nginx-ingress-controller': [process.execPath, bundlePath('ingress-controller'), `--state-dir=${ctx.dir}`],
  }),
  // started once nginx listens: the controller starts it with the configuration of what exists
  listens: () => [80, 443],
  hostUserland: true,
};
