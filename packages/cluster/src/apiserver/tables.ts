// Server-side Table output for `kubectl get` (meta.k8s.io/v1 Table), with the columns of upstream's
// printers (pkg/printers/internalversion/printers.go); priority-1 columns show with `-o wide`.
import { age } from '@svclab/kube';
import { groupVersion, type ResourceType } from './resources.js';
import type { KubeObject } from './types.js';

type Obj = Record<string, any>;
interface Column { name: string; type?: string; format?: string; priority?: number; description?: string }
interface Printer { columns: Column[]; cells(o: Obj): unknown[] }

const col = (name: string, priority = 0, type = 'string', format = ''): Column => ({ name, type, format, priority });
const NAME = col('Name', 0, 'string', 'name');
const AGE = col('Age');

const labelString = (m: Record<string, string> | undefined) =>
  m && Object.keys(m).length ? Object.keys(m).sort().map((k) => `${k}=${m[k]}`).join(',') : '<none>';
const selectorString = (s: Obj | undefined) => {
  if (!s) return '<none>';
  const parts = Object.keys(s.matchLabels ?? {}).sort().map((k) => `${k}=${s.matchLabels[k]}`);
  for (const e of s.matchExpressions ?? []) parts.push(`${e.key} ${String(e.operator).toLowerCase()} (${(e.values ?? []).join(',')})`);
  return parts.length ? parts.join(',') : '<none>';
};
const containers = (tpl: Obj | undefined) => (tpl?.spec?.containers ?? []) as Obj[];
const created = (o: Obj) => age(o.metadata.creationTimestamp);

function podStatus(p: Obj): { ready: string; status: string; restarts: string } {
  const statuses = (p.status?.containerStatuses ?? []) as Obj[];
  let reason: string = p.status?.reason || p.status?.phase || 'Unknown';
  let restarts = 0;
  let lastRestart: string | undefined;
  for (const c of [...statuses].reverse()) {
    restarts += c.restartCount ?? 0;
    const finished = c.lastState?.terminated?.finishedAt;
    if (finished && (!lastRestart || finished > lastRestart)) lastRestart = finished;
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
    else if (c.state?.terminated) reason = c.state.terminated.signal ? `Signal:${c.state.terminated.signal}` : `ExitCode:${c.state.terminated.exitCode}`;
  }
  if (reason === 'Completed' && statuses.some((c) => c.state?.running)) reason = p.status?.phase ?? reason;
  if (p.metadata.deletionTimestamp) reason = p.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  const ready = statuses.filter((c) => c.ready && c.state?.running).length;
  return {
    ready: `${ready}/${(p.spec?.containers ?? []).length}`,
    status: reason,
    restarts: lastRestart ? `${restarts} (${age(lastRestart)} ago)` : String(restarts),
  };
}

function servicePorts(s: Obj): string {
  const ports = (s.spec?.ports ?? []) as Obj[];
  return ports.length ? ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',') : '<none>';
}

function externalIP(s: Obj): string {
  const spec = s.spec ?? {};
  const lb = ((s.status?.loadBalancer?.ingress ?? []) as Obj[]).map((i) => i.ip || i.hostname);
  switch (spec.type) {
    case 'ExternalName': return spec.externalName ?? '<none>';
    case 'LoadBalancer': return [...lb, ...(spec.externalIPs ?? [])].join(',') || '<pending>';
    default: return (spec.externalIPs ?? []).join(',') || '<none>';
  }
}

function formatEndpoints(e: Obj): string {
  const list: string[] = [];
  let count = 0;
  for (const ss of (e.subsets ?? []) as Obj[]) {
    const addresses = (ss.addresses ?? []) as Obj[];
    const ports = (ss.ports ?? []) as Obj[];
    const items = ports.length ? ports.flatMap((p) => addresses.map((a) => `${a.ip}:${p.port}`)) : addresses.map((a) => a.ip);
    for (const it of items) { count++; if (list.length < 3) list.push(it); }
  }
  if (count === 0) return '<none>';
  return list.join(',') + (count > 3 ? ` + ${count - 3} more...` : '');
}

const workloadWide = [col('Containers', 1), col('Images', 1), col('Selector', 1)];
const workloadWideCells = (o: Obj) => [containers(o.spec?.template).map((c) => c.name).join(','), containers(o.spec?.template).map((c) => c.image).join(','), selectorString(o.spec?.selector)];

const printers: Record<string, Printer> = {
  Pod: {
    columns: [NAME, col('Ready'), col('Status'), col('Restarts', 0, 'string'), AGE, col('IP', 1), col('Node', 1), col('Nominated Node', 1), col('Readiness Gates', 1)],
    cells: (p) => {
      const s = podStatus(p);
      const gates = (p.spec?.readinessGates ?? []) as Obj[];
      return [p.metadata.name, s.ready, s.status, s.restarts, created(p), p.status?.podIP || '<none>', p.spec?.nodeName || '<none>',
        p.status?.nominatedNodeName || '<none>', gates.length ? `${gates.length}/${gates.length}` : '<none>'];
    },
  },
  Service: {
    columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 1)],
    cells: (s) => [s.metadata.name, s.spec?.type ?? 'ClusterIP', s.spec?.clusterIP || '<none>', externalIP(s), servicePorts(s), created(s), labelString(s.spec?.selector)],
  },
  Endpoints: { columns: [NAME, col('Endpoints'), AGE], cells: (e) => [e.metadata.name, formatEndpoints(e), created(e)] },
  EndpointSlice: {
    columns: [NAME, col('AddressType'), col('Ports'), col('Endpoints'), AGE],
    cells: (e) => {
      const ports = ((e.ports ?? []) as Obj[]).map((p) => String(p.port ?? '<unset>'));
      const addrs = ((e.endpoints ?? []) as Obj[]).flatMap((x) => x.addresses as string[]);
      return [e.metadata.name, e.addressType, ports.join(',') || '<unset>',
        addrs.length ? addrs.slice(0, 3).join(',') + (addrs.length > 3 ? ` + ${addrs.length - 3} more...` : '') : '<unset>', created(e)];
    },
  },
  Node: {
    columns: [NAME, col('Status'), col('Roles'), AGE, col('Version'), col('Internal-IP', 1), col('External-IP', 1), col('OS-Image', 1), col('Kernel-Version', 1), col('Container-Runtime', 1)],
    cells: (n) => {
      const ready = ((n.status?.conditions ?? []) as Obj[]).find((c) => c.type === 'Ready');
      const status = [ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown', ...(n.spec?.unschedulable ? ['SchedulingDisabled'] : [])].join(',');
      const roles = Object.keys(n.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length)).sort();
      const addr = (t: string) => ((n.status?.addresses ?? []) as Obj[]).find((a) => a.type === t)?.address ?? '<none>';
      const info = n.status?.nodeInfo ?? {};
      return [n.metadata.name, status, roles.join(',') || '<none>', created(n), info.kubeletVersion ?? '', addr('InternalIP'), addr('ExternalIP'), info.osImage ?? '', info.kernelVersion ?? '', info.containerRuntimeVersion ?? ''];
    },
  },
  Event: {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Subobject', 1), col('Source', 1), col('Message'), col('First Seen', 1), col('Count', 1, 'integer'), col('Name', 1)],
    cells: (e) => {
      const last = e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
      const obj = `${String(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`;
      return [age(last), e.type, e.reason, obj, e.involvedObject?.fieldPath ?? '', [e.source?.component, e.source?.host].filter(Boolean).join(', '),
        String(e.message ?? '').trim(), age(e.firstTimestamp ?? last), e.count ?? 1, e.metadata.name];
    },
  },
  Ingress: {
    columns: [NAME, col('Class'), col('Hosts'), col('Address'), col('Ports'), AGE],
    cells: (i) => {
      const hosts = ((i.spec?.rules ?? []) as Obj[]).map((r) => r.host).filter(Boolean) as string[];
      const shown = hosts.length === 0 ? '*' : hosts.slice(0, 4).join(',') + (hosts.length > 4 ? ` + ${hosts.length - 4} more...` : '');
      const address = ((i.status?.loadBalancer?.ingress ?? []) as Obj[]).map((x) => x.ip || x.hostname).join(',');
      return [i.metadata.name, i.spec?.ingressClassName ?? '<none>', shown, address, i.spec?.tls?.length ? '80, 443' : '80', created(i)];
    },
  },
  Lease: { columns: [NAME, col('Holder'), AGE], cells: (l) => [l.metadata.name, l.spec?.holderIdentity ?? '', created(l)] },
  IngressClass: {
    columns: [NAME, col('Controller'), col('Parameters'), AGE],
    cells: (c) => {
      const p = c.spec?.parameters;
      return [c.metadata.name, c.spec?.controller ?? '', p ? `${p.kind}/${p.name}` : '<none>', created(c)];
    },
  },
  Namespace: { columns: [NAME, col('Status'), AGE], cells: (n) => [n.metadata.name, n.status?.phase ?? 'Active', created(n)] },
  ConfigMap: { columns: [NAME, col('Data', 0, 'integer'), AGE], cells: (c) => [c.metadata.name, Object.keys(c.data ?? {}).length + Object.keys(c.binaryData ?? {}).length, created(c)] },
  Secret: { columns: [NAME, col('Type'), col('Data', 0, 'integer'), AGE], cells: (s) => [s.metadata.name, s.type ?? 'Opaque', Object.keys(s.data ?? {}).length, created(s)] },
  ServiceAccount: { columns: [NAME, col('Secrets', 0, 'integer'), AGE], cells: (s) => [s.metadata.name, (s.secrets ?? []).length, created(s)] },
  Deployment: {
    columns: [NAME, col('Ready'), col('Up-to-date', 0, 'integer'), col('Available', 0, 'integer'), AGE, ...workloadWide],
    cells: (d) => [d.metadata.name, `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`, d.status?.updatedReplicas ?? 0, d.status?.availableReplicas ?? 0, created(d), ...workloadWideCells(d)],
  },
  ReplicaSet: {
    columns: [NAME, col('Desired', 0, 'integer'), col('Current', 0, 'integer'), col('Ready', 0, 'integer'), AGE, ...workloadWide],
    cells: (r) => [r.metadata.name, r.spec?.replicas ?? 0, r.status?.replicas ?? 0, r.status?.readyReplicas ?? 0, created(r), ...workloadWideCells(r)],
  },
  DaemonSet: {
    columns: [NAME, col('Desired', 0, 'integer'), col('Current', 0, 'integer'), col('Ready', 0, 'integer'), col('Up-to-date', 0, 'integer'), col('Available', 0, 'integer'), col('Node Selector'), AGE, ...workloadWide],
    cells: (d) => [d.metadata.name, d.status?.desiredNumberScheduled ?? 0, d.status?.currentNumberScheduled ?? 0, d.status?.numberReady ?? 0,
      d.status?.updatedNumberScheduled ?? 0, d.status?.numberAvailable ?? 0, labelString(d.spec?.template?.spec?.nodeSelector), created(d), ...workloadWideCells(d)],
  },
};

// what upstream's default table convertor prints for kinds without a printer
const fallback: Printer = { columns: [NAME, col('Created At', 0, 'date')], cells: (o) => [o.metadata.name, o.metadata.creationTimestamp] };

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Does the Accept header ask for a meta.k8s.io Table? */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && accept.split(',').some((a) => /as=Table/.test(a) && /g=meta\.k8s\.io/.test(a));
}

export function toTable(t: ResourceType, objects: KubeObject[], resourceVersion: string, include: IncludeObject = 'Metadata'): Record<string, unknown> {
  const p = printers[t.kind] ?? fallback;
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion },
    columnDefinitions: p.columns.map((c) => ({ name: c.name, type: c.type ?? 'string', format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 })),
    rows: objects.map((o) => ({
      cells: p.cells(o as Obj),
      // a row's object carries its kind, as upstream encodes it: kubectl --sort-by decodes rows by it
      ...(include === 'None' ? {} : { object: include === 'Object' ? { kind: t.kind, apiVersion: groupVersion(t), ...o } : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } }),
    })),
  };
}
