// The kubeconfig a cluster writes for its users (and uses itself): HTTPS with the cluster CA and a
// bearer token, context named like kind's ("kind-<cluster>" becomes "svclab-<cluster>").
import { KubeConfig } from '@kubernetes/client-node';

export function kubeconfigYaml(o: { cluster: string; server: string; caCert: string; token: string }): string {
  const name = `svclab-${o.cluster}`;
  return `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: ${Buffer.from(o.caCert).toString('base64')}
    server: ${o.server}
  name: ${name}
contexts:
- context:
    cluster: ${name}
    user: ${name}
  name: ${name}
current-context: ${name}
preferences: {}
users:
- name: ${name}
  user:
    token: ${o.token}
`;
}

export function kubeConfigFrom(yaml: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(yaml);
  return kc;
}
