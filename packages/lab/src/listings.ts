// `kubectl get`-like listings for the narration, with kubectl's columns.
import type { V1Endpoints, V1Pod, V1Service } from '@kubernetes/client-node';
import { age, table } from './table.js';

export function servicesTable(svcs: V1Service[]): string {
  return table(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'], svcs.map((s) => [
    s.metadata!.name!, s.spec!.type ?? 'ClusterIP', s.spec!.clusterIP ?? '<none>',
    s.spec!.externalIPs?.join(',') || '<none>',
    (s.spec!.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',') || '<none>',
    age(s.metadata!.creationTimestamp),
  ]));
}

export function endpointsTable(eps: V1Endpoints[]): string {
  return table(['NAME', 'ENDPOINTS', 'AGE'], eps.map((e) => {
    const all = (e.subsets ?? []).flatMap((s) => (s.addresses ?? []).flatMap((a) => (s.ports ?? []).map((p) => `${a.ip}:${p.port}`)));
    return [e.metadata!.name!, all.length ? all.slice(0, 3).join(',') + (all.length > 3 ? ` + ${all.length - 3} more...` : '') : '<none>', age(e.metadata!.creationTimestamp)];
  }));
}

export function podsTable(pods: V1Pod[], wide = false): string {
  const headers = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(wide ? ['IP', 'NODE'] : [])];
  return table(headers, pods.map((p) => {
    const cs = p.status?.containerStatuses ?? [];
    const ready = `${cs.filter((c) => c.ready).length}/${p.spec!.containers.length}`;
    const waiting = cs.find((c) => c.state?.waiting)?.state?.waiting?.reason;
    return [p.metadata!.name!, ready, waiting ?? p.status?.phase ?? 'Unknown', String(cs.reduce((n, c) => n + (c.restartCount ?? 0), 0)),
      age(p.metadata!.creationTimestamp), ...(wide ? [p.status?.podIP ?? '<none>', p.spec!.nodeName ?? '<none>'] : [])];
  }));
}

/** `-o custom-columns="NAME:{metadata.name},IP:{status.podIP}"`, as tutorial 001 prints it. */
export function podNameIpTable(pods: V1Pod[]): string {
  return table(['NAME', 'IP'], pods.map((p) => [p.metadata!.name!, p.status?.podIP ?? '<none>']));
}
