// registry.k8s.io/ingress-nginx/controller: svclab's ingress controller (packages/ingress) driving the
// host's real nginx inside the pod, at the image's /nginx-ingress-controller path. nginx.conf,
// certificates and temp files go to /etc/nginx, a copy of the host's private to the pod, as in the
// image: `kubectl exec <controller> -- cat /etc/nginx/nginx.conf` (or `nginx -T`) shows what it generated.
import { bundlePath } from '../programs/bundle.js';
import type { Image } from './catalogue.js';

export const ingressNginx: Image = {
  repository: 'registry.k8s.io/ingress-nginx/controller',
  description: 'svclab ingress controller (TypeScript) on the host nginx with its Lua module',
  entrypoint: ['/usr/bin/dumb-init', '--'],
  cmd: ['/nginx-ingress-controller'],
  executables: () => ({
    '/usr/bin/dumb-init': ['/bin/sh', '-c', 'if [ "$1" = -- ]; then shift; fi; exec "$@"', 'dumb-init'],
    // the cluster builds the bundle before it installs the add-on (see addons/install-ingress.ts)
    '/nginx-ingress-controller': [process.execPath, bundlePath('ingress-controller'), '--state-dir=/etc/nginx'],
  }),
  // started once nginx listens: the controller starts it with the configuration of what exists
  listens: () => [80, 443],
  privateDirs: ['/etc/nginx'],
  hostUserland: true,
};
