// Kubeconfig loading as client-go does it, including `user.tokenFile` (which kubeadm's kube-proxy
// kubeconfig uses and client-node does not read), and in-cluster config as the fallback.
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import yaml from 'js-yaml';

interface RawUser { name: string; user?: { tokenFile?: string; token?: string } }

export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (!path) { kc.loadFromCluster(); return kc; }
  const text = readFileSync(path, 'utf8');
  const raw = yaml.load(text) as { users?: RawUser[] };
  for (const u of raw.users ?? []) {
    if (u.user?.tokenFile && !u.user.token) u.user.token = readFileSync(u.user.tokenFile, 'utf8').trim();
  }
  kc.loadFromString(yaml.dump(raw));
  return kc;
}
