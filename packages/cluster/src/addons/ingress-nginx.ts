// The ingress-nginx add-on as minikube's `ingress` addon and kind's deploy manifest install it: namespace
// ingress-nginx, its ServiceAccount and ConfigMap, the IngressClass `nginx` (marked default, so an
// Ingress without a class — tutorial 003's — is served), the controller Deployment (svclab's controller
// on the host's real nginx) and the NodePort Service ingress-nginx-controller in front of it.
import type { V1ConfigMap, V1Deployment, V1IngressClass, V1Namespace, V1Service, V1ServiceAccount } from '@kubernetes/client-node';

export const INGRESS_NAMESPACE = 'ingress-nginx';
export const INGRESS_CONTROLLER = 'ingress-nginx-controller';
const labels = { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' };

export const ingressNamespace: V1Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: INGRESS_NAMESPACE, labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/instance': 'ingress-nginx' } } };

export const ingressServiceAccount: V1ServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'ingress-nginx', namespace: INGRESS_NAMESPACE, labels } };

export const ingressConfigMap: V1ConfigMap = {
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: INGRESS_CONTROLLER, namespace: INGRESS_NAMESPACE, labels },
  // upstream's default since v1.9: snippet annotations are refused
  data: { 'allow-snippet-annotations': 'false' },
};

export const ingressClass: V1IngressClass = {
  apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass',
  metadata: { name: 'nginx', labels, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
  spec: { controller: 'k8s.io/ingress-nginx' },
};

export const ingressDeployment: V1Deployment = {
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: INGRESS_CONTROLLER, namespace: INGRESS_NAMESPACE, labels },
  spec: {
    replicas: 1,
    selector: { matchLabels: labels },
    revisionHistoryLimit: 10,
    template: {
      metadata: { labels },
      spec: {
        serviceAccountName: 'ingress-nginx',
        terminationGracePeriodSeconds: 300,
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        containers: [{
          name: 'controller',
          image: 'registry.k8s.io/ingress-nginx/controller:v1.12.1',
          args: [
            '/nginx-ingress-controller',
            '--election-id=ingress-nginx-leader',
            '--controller-class=k8s.io/ingress-nginx',
            '--ingress-class=nginx',
            '--configmap=$(POD_NAMESPACE)/ingress-nginx-controller',
            '--report-node-internal-ip-address',
          ],
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          ],
          ports: [
            { name: 'http', containerPort: 80, protocol: 'TCP' },
            { name: 'https', containerPort: 443, protocol: 'TCP' },
            { name: 'metrics', containerPort: 10254, protocol: 'TCP' },
          ],
          // upstream probes every 10 s after 10 s; every 2 s here, so a lab does not wait on the probe
          readinessProbe: { httpGet: { path: '/healthz', port: 10254 as never, scheme: 'HTTP' }, periodSeconds: 2, failureThreshold: 3 },
        }],
      },
    },
  },
};

export const ingressService: V1Service = {
  apiVersion: 'v1', kind: 'Service',
  metadata: { name: INGRESS_CONTROLLER, namespace: INGRESS_NAMESPACE, labels },
  spec: {
    type: 'NodePort',
    selector: labels,
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' as never, appProtocol: 'http' },
      { name: 'https', port: 443, protocol: 'TCP', targetPort: 'https' as never, appProtocol: 'https' },
    ],
  },
};
