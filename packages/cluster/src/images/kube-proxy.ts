// registry.k8s.io/kube-proxy: svclab's own kube-proxy (packages/proxy) at the image's binary path.
import { bundlePath } from '../programs/bundle.js';
import type { Image } from './catalogue.js';


export const kubeProxy: Image = {
  repository: 'registry.k8s.io/kube-proxy',
  description: 'svclab kube-proxy (TypeScript; iptables backend)',
  entrypoint: [],
  cmd: ['/usr/local/bin/kube-proxy'],
  // the cluster builds the bundle before it schedules pods (see cluster.ts)
  executables: () => ({ '/usr/local/bin/kube-proxy': [process.execPath, bundlePath('kube-proxy')] }),
  hostUserland: true,
};
