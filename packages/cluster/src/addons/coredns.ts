// Cluster DNS as kubeadm (and so kind) installs it: the coredns Deployment in kube-system behind the
// kube-dns Service at 10.96.0.10, which every pod's resolv.conf names.
import type { V1Deployment, V1Service, V1ServiceAccount } from '@kubernetes/client-node';

export const CLUSTER_DNS_IP = '10.96.0.10';

export const corednsServiceAccount: V1ServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace: 'kube-system' } };

const labels = { 'k8s-app': 'kube-dns' };

export const corednsDeployment: V1Deployment = {
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'coredns', namespace: 'kube-system', labels },
  spec: {
    replicas: 2,
    selector: { matchLabels: labels },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 as never } },
    template: {
      metadata: { labels },
      spec: {
        serviceAccountName: 'coredns',
        priorityClassName: 'system-cluster-critical',
        dnsPolicy: 'Default',
        tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
        containers: [{
          name: 'coredns',
          image: 'registry.k8s.io/coredns/coredns:v1.11.3',
          ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' }, { name: 'metrics', containerPort: 9153, protocol: 'TCP' }],
          livenessProbe: { httpGet: { path: '/health', port: 8080 as never, scheme: 'HTTP' }, initialDelaySeconds: 60, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 5 },
          // kubeadm probes every 10 s; every 2 s here, so a lab does not wait on the probe
          readinessProbe: { httpGet: { path: '/ready', port: 8181 as never, scheme: 'HTTP' }, periodSeconds: 2 },
        }],
      },
    },
  },
};

export const kubeDnsService: V1Service = {
  apiVersion: 'v1', kind: 'Service',
  metadata: {
    name: 'kube-dns', namespace: 'kube-system',
    labels: { ...labels, 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
    annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
  },
  spec: {
    clusterIP: CLUSTER_DNS_IP,
    selector: labels,
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 as never },
      { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 as never },
      { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 as never },
    ],
  },
};
