// A container's environment as kubelet builds it: the kubernetes Service variables, then the
// container's env with fieldRef values and $(VAR) references to earlier entries.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { expandVars } from './container.js';

export interface PodFacts { pod: V1Pod; ip: string; hostIP: string }

function fieldRef(path: string, f: PodFacts): string {
  const m = f.pod.metadata!;
  const values: Record<string, string | undefined> = {
    'metadata.name': m.name, 'metadata.namespace': m.namespace, 'metadata.uid': m.uid,
    'spec.nodeName': f.pod.spec!.nodeName, 'spec.serviceAccountName': f.pod.spec!.serviceAccountName,
    'status.podIP': f.ip, 'status.hostIP': f.hostIP,
  };
  const label = path.match(/^metadata\.labels\['(.+)'\]$/);
  if (label) return m.labels?.[label[1]!] ?? '';
  const ann = path.match(/^metadata\.annotations\['(.+)'\]$/);
  if (ann) return m.annotations?.[ann[1]!] ?? '';
  return values[path] ?? '';
}

export function podEnv(f: PodFacts, c: V1Container): Record<string, string> {
  const env: Record<string, string> = {
    KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://10.96.0.1:443', KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp', KUBERNETES_PORT_443_TCP_PORT: '443', KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
  };
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef) env[e.name] = fieldRef(e.valueFrom.fieldRef.fieldPath, f);
    else env[e.name] = expandVars(e.value ?? '', env);
  }
  return env;
}
