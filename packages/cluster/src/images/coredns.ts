// registry.k8s.io/coredns/coredns: svclab's cluster DNS (src/dns) at the image's binary path. It
// serves what kind's Corefile asks of CoreDNS (the kubernetes plugin for cluster.local, ttl 30,
// health, ready, prometheus); it reads no Corefile and forwards nowhere (no upstream resolver here).
import { bundlePath } from '../programs/bundle.js';
import type { Image } from './catalogue.js';

export const coredns: Image = {
  repository: 'registry.k8s.io/coredns/coredns',
  description: 'svclab cluster DNS (TypeScript; CoreDNS kubernetes plugin behaviour)',
  entrypoint: ['/coredns'],
  cmd: [],
  // the cluster builds the bundle before it schedules pods (see cluster.ts)
  executables: () => ({ '/coredns': [process.execPath, bundlePath('coredns')] }),
  listens: () => [53, 8080, 8181, 9153],
  hostUserland: true,
};
