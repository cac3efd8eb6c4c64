// What both endpoint controllers compute for a Service: its selected pods with IPs, readiness, and
// each Service port's targetPort resolved per pod (numbers as given, names through containerPorts).
import type { V1Pod, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { isReady, matchesSelector, type ControllerContext } from './context.js';

export interface Backend { pod: V1Pod; ip: string; ready: boolean; terminating: boolean }

export function resolveTargetPort(sp: V1ServicePort, pod: V1Pod): number | undefined {
  const tp = sp.targetPort ?? sp.port;
  if (typeof tp === 'number') return tp;
  if (/^\d+$/.test(String(tp))) return Number(tp);
  for (const c of pod.spec?.containers ?? []) {
    const p = c.ports?.find((x) => x.name === tp && (x.protocol ?? 'TCP') === (sp.protocol ?? 'TCP'));
    if (p) return p.containerPort;
  }
  return undefined;
}

export function serviceBackends(ctx: ControllerContext, svc: V1Service): Backend[] {
  const ns = svc.metadata!.namespace!;
  return ctx.pods(ns)
    .filter((p) => matchesSelector(svc.spec?.selector, p.metadata!.labels) && p.status?.podIP &&
      p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed')
    .map((p) => ({ pod: p, ip: p.status!.podIP!, ready: isReady(p) && !p.metadata!.deletionTimestamp, terminating: !!p.metadata!.deletionTimestamp }))
    .sort((a, b) => a.ip.localeCompare(b.ip, undefined, { numeric: true }));
}

/** Services whose selector picks this pod (to requeue them when it changes). */
export function servicesSelecting(ctx: ControllerContext, pod: V1Pod): V1Service[] {
  return ctx.services(pod.metadata!.namespace).filter((s) => matchesSelector(s.spec?.selector, pod.metadata!.labels));
}

export const managesEndpoints = (svc: V1Service) => !!svc.spec?.selector && Object.keys(svc.spec.selector).length > 0 && svc.spec.type !== 'ExternalName';
