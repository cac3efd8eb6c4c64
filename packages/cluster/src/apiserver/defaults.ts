// Defaulting as the apiserver applies it (k8s.io/kubernetes pkg/apis/*/v1/defaults.go), for the kinds we serve.
import type { KubeObject } from './types.js';

type Obj = Record<string, any>;

/** service.ExternallyAccessible: reachable from outside the cluster, so externalTrafficPolicy applies */
export function externallyAccessible(spec: Obj | undefined): boolean {
  return spec?.type === 'NodePort' || spec?.type === 'LoadBalancer' || (spec?.type === 'ClusterIP' && (spec.externalIPs ?? []).length > 0);
}

function defaultPodSpec(spec: Obj): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Obj[]) {
    const tag = String(c.image ?? '').split('/').pop()!.split(':')[1];
    c.imagePullPolicy ??= !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
    for (const p of (c.ports ?? []) as Obj[]) p.protocol ??= 'TCP';
    // SetDefaults_Probe and SetDefaults_HTTPGetAction
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe] as Obj[]) {
      if (!probe) continue;
      probe.timeoutSeconds ??= 1;
      probe.periodSeconds ??= 10;
      probe.successThreshold ??= 1;
      probe.failureThreshold ??= 3;
      if (probe.httpGet) { probe.httpGet.path ||= '/'; probe.httpGet.scheme ??= 'HTTP'; }
    }
  }
}

function defaultTemplate(obj: Obj): void {
  const tpl = (obj.spec.template ??= {});
  tpl.metadata ??= {};
  tpl.spec ??= {};
  defaultPodSpec(tpl.spec);
  obj.spec.selector ??= { matchLabels: { ...(tpl.metadata.labels ?? {}) } };
}

export function applyDefaults(kind: string, o: KubeObject): void {
  const obj = o as Obj;
  switch (kind) {
    case 'Pod':
      obj.spec ??= {};
      defaultPodSpec(obj.spec);
      // set by the Priority admission plugin on pods (not on templates)
      obj.spec.preemptionPolicy ??= 'PreemptLowerPriority';
      obj.spec.priority ??= 0;
      obj.status ??= {};
      obj.status.phase ??= 'Pending';
      obj.status.qosClass ??= 'BestEffort';
      break;
    case 'Service': {
      // SetDefaults_Service: every type, ExternalName included, gets sessionAffinity and targetPorts
      const spec = (obj.spec ??= {});
      spec.sessionAffinity ??= 'None';
      if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
      if (spec.sessionAffinity === 'ClientIP' && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
        spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
      }
      spec.type ??= 'ClusterIP';
      for (const p of (spec.ports ?? []) as Obj[]) {
        p.protocol ??= 'TCP';
        if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
      }
      if (externallyAccessible(spec)) spec.externalTrafficPolicy ??= 'Cluster';
      if (['NodePort', 'LoadBalancer', 'ClusterIP'].includes(spec.type)) spec.internalTrafficPolicy ??= 'Cluster';
      if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
      obj.status ??= { loadBalancer: {} };
      break;
    }
    case 'Deployment':
      obj.spec ??= {};
      obj.spec.replicas ??= 1;
      obj.spec.strategy ??= {};
      obj.spec.strategy.type ??= 'RollingUpdate';
      if (obj.spec.strategy.type === 'RollingUpdate') {
        obj.spec.strategy.rollingUpdate ??= {};
        obj.spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
        obj.spec.strategy.rollingUpdate.maxSurge ??= '25%';
      }
      obj.spec.revisionHistoryLimit ??= 10;
      obj.spec.progressDeadlineSeconds ??= 600;
      defaultTemplate(obj);
      obj.status ??= {};
      break;
    case 'ReplicaSet':
      obj.spec ??= {};
      obj.spec.replicas ??= 1;
      defaultTemplate(obj);
      obj.status ??= { replicas: 0 };
      break;
    case 'DaemonSet':
      obj.spec ??= {};
      obj.spec.updateStrategy ??= {};
      obj.spec.updateStrategy.type ??= 'RollingUpdate';
      if (obj.spec.updateStrategy.type === 'RollingUpdate') obj.spec.updateStrategy.rollingUpdate ??= { maxUnavailable: 1, maxSurge: 0 };
      obj.spec.revisionHistoryLimit ??= 10;
      defaultTemplate(obj);
      obj.status ??= { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
      break;
    case 'Namespace':
      obj.spec ??= { finalizers: ['kubernetes'] };
      obj.status ??= { phase: 'Active' };
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name };
      break;
    case 'Secret':
      obj.type ??= 'Opaque';
      break;
  }
}
