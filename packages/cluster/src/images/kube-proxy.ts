// registry.k8s.io/kube-proxy: svclab's own kube-proxy (packages/proxy) at the image's binary path.
import { fileURLToPath } from 'node:url';
import type { Image } from './catalogue.js';

const tsx = import.meta.resolve('tsx');
const main = fileURLToPath(import.meta.resolve('@svclab/proxy/main'));

export const kubeProxy: Image = {
  repository: 'registry.k8s.io/kube-proxy',
  description: 'svclab kube-proxy (TypeScript; iptables backend)',
  entrypoint: [],
  cmd: ['/usr/local/bin/kube-proxy'],
  executables: () => ({ '/usr/local/bin/kube-proxy': [process.execPath, '--import', tsx, main] }),
  hostUserland: true,
};
