// registry.k8s.io/kube-proxy: svclab's own kube-proxy (packages/proxy) at the image's binary path.
import { resolveModule } from '@svclab/kube';
import type { Image } from './catalogue.js';

const tsx = resolveModule('tsx', import.meta.url);
const main = resolveModule('@svclab/proxy/main', import.meta.url);

export const kubeProxy: Image = {
  repository: 'registry.k8s.io/kube-proxy',
  description: 'svclab kube-proxy (TypeScript; iptables backend)',
  entrypoint: [],
  cmd: ['/usr/local/bin/kube-proxy'],
  executables: () => ({ '/usr/local/bin/kube-proxy': [process.execPath, '--import', tsx, main] }),
  hostUserland: true,
};
