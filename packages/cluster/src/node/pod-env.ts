// A container's environment as kubelet builds it: the Service variables (docker-link style, for the
// Services of the pod's namespace when enableServiceLinks, and the kubernetes Service always), then
// the container's env with fieldRef values and $(VAR) references to earlier entries.
import type { V1Container, V1Pod, V1Service } from '@kubernetes/client-node';
import { expandVars } from './container.js';

export interface PodFacts {
  pod: V1Pod; ip: string; hostIP: string;
  /** the Service variables, from serviceEnv() when the container starts */
  services: Record<string, string>;
}

const envName = (s: string) => s.toUpperCase().replace(/-/g, '_');

/**
 * kubelet's getServiceEnvVarMap and envvars.FromServices: the Services of the pod's namespace (all
 * of them with enableServiceLinks, else none) and `kubernetes` from default unless the namespace
 * has its own; only Services with a cluster IP.
 */
export function serviceEnv(pod: V1Pod, inNamespace: V1Service[], kubernetes: V1Service | undefined): Record<string, string> {
  const chosen = new Map<string, V1Service>();
  if (kubernetes) chosen.set('kubernetes', kubernetes);
  if (pod.spec?.enableServiceLinks !== false) for (const s of inNamespace) chosen.set(s.metadata!.name!, s);
  const env: Record<string, string> = {};
  const services = [...chosen.values()].filter((s) => s.spec?.clusterIP && s.spec.clusterIP !== 'None' && (s.spec.ports ?? []).length > 0);
  for (const s of services.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!))) {
    const name = envName(s.metadata!.name!);
    const ip = s.spec!.clusterIP!;
    const ports = s.spec!.ports!;
    const first = ports[0]!;
    env[`${name}_SERVICE_HOST`] = ip;
    env[`${name}_SERVICE_PORT`] = String(first.port);
    for (const p of ports) if (p.name) env[`${name}_SERVICE_PORT_${envName(p.name)}`] = String(p.port);
    env[`${name}_PORT`] = `${(first.protocol ?? 'TCP').toLowerCase()}://${ip}:${first.port}`;
    for (const p of ports) {
      const proto = p.protocol ?? 'TCP';
      const prefix = `${name}_PORT_${p.port}_${proto}`;
      env[prefix] = `${proto.toLowerCase()}://${ip}:${p.port}`;
      env[`${prefix}_PROTO`] = proto.toLowerCase();
      env[`${prefix}_PORT`] = String(p.port);
      env[`${prefix}_ADDR`] = ip;
    }
  }
  return env;
}

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
  const env: Record<string, string> = { ...f.services };
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef) env[e.name] = fieldRef(e.valueFrom.fieldRef.fieldPath, f);
    else env[e.name] = expandVars(e.value ?? '', env);
  }
  return env;
}
