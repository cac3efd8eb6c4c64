// The types of the fields the apiserver, its controllers and its printers read, checked before an
// object is defaulted, validated or stored: a wrong type is a 400 as kube-apiserver's decoding gives,
// so no stored object can later trip the code that reads it. Fields not listed are kept as sent.
import { ApiError } from './errors.js';
import type { ResourceType } from './resources.js';

type Shape = 'string' | 'integer' | 'boolean' | 'object' | 'intOrString' | { obj: Record<string, Shape> } | { arr: Shape } | { map: Shape };

const obj = (fields: Record<string, Shape>): Shape => ({ obj: fields });
const arr = (s: Shape): Shape => ({ arr: s });
const map = (s: Shape): Shape => ({ map: s });
const STRINGS = arr('string');
const LABELS = map('string');

const META = obj({
  name: 'string', generateName: 'string', namespace: 'string', uid: 'string', resourceVersion: 'string', generation: 'integer',
  labels: LABELS, annotations: LABELS, finalizers: STRINGS,
  ownerReferences: arr(obj({ apiVersion: 'string', kind: 'string', name: 'string', uid: 'string', controller: 'boolean', blockOwnerDeletion: 'boolean' })),
});
const CONTAINER = obj({
  name: 'string', image: 'string', command: STRINGS, args: STRINGS, workingDir: 'string', imagePullPolicy: 'string',
  ports: arr(obj({ name: 'string', containerPort: 'integer', hostPort: 'integer', protocol: 'string' })),
  env: arr(obj({ name: 'string', value: 'string', valueFrom: obj({ fieldRef: obj({ fieldPath: 'string' }) }) })),
  volumeMounts: arr(obj({ name: 'string', mountPath: 'string', readOnly: 'boolean' })),
  stdin: 'boolean', stdinOnce: 'boolean', tty: 'boolean', resources: 'object',
});
const POD_SPEC = obj({
  containers: arr(CONTAINER), initContainers: arr(CONTAINER), nodeName: 'string', nodeSelector: LABELS, hostNetwork: 'boolean',
  restartPolicy: 'string', serviceAccountName: 'string', automountServiceAccountToken: 'boolean', terminationGracePeriodSeconds: 'integer',
  schedulerName: 'string', tolerations: arr(obj({ key: 'string', operator: 'string', value: 'string', effect: 'string' })),
  affinity: 'object', readinessGates: arr('object'),
  volumes: arr(obj({ name: 'string', configMap: obj({ name: 'string' }), secret: obj({ secretName: 'string' }), hostPath: obj({ path: 'string' }), emptyDir: 'object' })),
});
const CONDITIONS = arr(obj({ type: 'string', status: 'string', reason: 'string', message: 'string' }));
const SELECTOR = obj({ matchLabels: LABELS, matchExpressions: arr(obj({ key: 'string', operator: 'string', values: STRINGS })) });
const TEMPLATE = obj({ metadata: META, spec: POD_SPEC });
const WORKLOAD_STATUS = obj({ replicas: 'integer', readyReplicas: 'integer', availableReplicas: 'integer', updatedReplicas: 'integer', observedGeneration: 'integer', conditions: CONDITIONS });
const ENDPOINT_ADDRESS = obj({ ip: 'string', nodeName: 'string', targetRef: 'object' });
const BACKEND = obj({ service: obj({ name: 'string', port: obj({ name: 'string', number: 'integer' }) }), resource: obj({ kind: 'string', name: 'string', apiGroup: 'string' }) });

const KINDS: Record<string, Record<string, Shape>> = {
  Pod: {
    spec: POD_SPEC,
    status: obj({ phase: 'string', podIP: 'string', hostIP: 'string', reason: 'string', conditions: CONDITIONS, containerStatuses: arr(obj({ name: 'string', ready: 'boolean', restartCount: 'integer', state: 'object', lastState: 'object' })) }),
  },
  Service: {
    spec: obj({
      type: 'string', clusterIP: 'string', clusterIPs: STRINGS, selector: LABELS, externalIPs: STRINGS, externalName: 'string',
      sessionAffinity: 'string', sessionAffinityConfig: obj({ clientIP: obj({ timeoutSeconds: 'integer' }) }), externalTrafficPolicy: 'string',
      internalTrafficPolicy: 'string', healthCheckNodePort: 'integer', publishNotReadyAddresses: 'boolean', allocateLoadBalancerNodePorts: 'boolean',
      loadBalancerSourceRanges: STRINGS, ipFamilies: STRINGS, ipFamilyPolicy: 'string',
      ports: arr(obj({ name: 'string', port: 'integer', targetPort: 'intOrString', nodePort: 'integer', protocol: 'string', appProtocol: 'string' })),
    }),
    status: obj({ loadBalancer: obj({ ingress: arr(obj({ ip: 'string', hostname: 'string' })) }) }),
  },
  Endpoints: { subsets: arr(obj({ addresses: arr(ENDPOINT_ADDRESS), notReadyAddresses: arr(ENDPOINT_ADDRESS), ports: arr(obj({ name: 'string', port: 'integer', protocol: 'string' })) })) },
  EndpointSlice: {
    addressType: 'string',
    endpoints: arr(obj({ addresses: STRINGS, conditions: obj({ ready: 'boolean', serving: 'boolean', terminating: 'boolean' }), nodeName: 'string', targetRef: 'object' })),
    ports: arr(obj({ name: 'string', port: 'integer', protocol: 'string' })),
  },
  ConfigMap: { data: LABELS, binaryData: LABELS },
  Secret: { data: LABELS, stringData: LABELS, type: 'string' },
  Node: {
    spec: obj({ podCIDR: 'string', podCIDRs: STRINGS, unschedulable: 'boolean', taints: arr(obj({ key: 'string', value: 'string', effect: 'string' })) }),
    status: obj({ conditions: CONDITIONS, addresses: arr(obj({ type: 'string', address: 'string' })), nodeInfo: 'object' }),
  },
  Namespace: { status: obj({ phase: 'string' }) },
  Deployment: { spec: obj({ replicas: 'integer', selector: SELECTOR, template: TEMPLATE, strategy: obj({ type: 'string', rollingUpdate: obj({ maxSurge: 'intOrString', maxUnavailable: 'intOrString' }) }), revisionHistoryLimit: 'integer', paused: 'boolean' }), status: WORKLOAD_STATUS },
  ReplicaSet: { spec: obj({ replicas: 'integer', selector: SELECTOR, template: TEMPLATE }), status: WORKLOAD_STATUS },
  DaemonSet: { spec: obj({ selector: SELECTOR, template: TEMPLATE, updateStrategy: 'object' }), status: obj({ desiredNumberScheduled: 'integer', currentNumberScheduled: 'integer', numberReady: 'integer', numberAvailable: 'integer', updatedNumberScheduled: 'integer' }) },
  Event: { involvedObject: obj({ kind: 'string', name: 'string', namespace: 'string', uid: 'string' }), reason: 'string', message: 'string', type: 'string', count: 'integer', source: obj({ component: 'string', host: 'string' }) },
  Ingress: {
    spec: obj({
      ingressClassName: 'string', defaultBackend: BACKEND, tls: arr(obj({ hosts: STRINGS, secretName: 'string' })),
      rules: arr(obj({ host: 'string', http: obj({ paths: arr(obj({ path: 'string', pathType: 'string', backend: BACKEND })) }) })),
    }),
    status: obj({ loadBalancer: obj({ ingress: arr(obj({ ip: 'string', hostname: 'string' })) }) }),
  },
  IngressClass: { spec: obj({ controller: 'string', parameters: 'object' }) },
};

const GO_TYPE: Record<string, string> = { string: 'string', integer: 'int32', boolean: 'bool', object: 'struct', intOrString: 'intstr.IntOrString' };
const jsType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? 'number' : typeof v);

function mismatch(t: ResourceType, path: string, value: unknown, want: string): ApiError {
  const version = t.group ? `${t.group}/${t.version}` : t.version;
  return new ApiError(400, 'BadRequest', `${t.kind} in version "${version}" cannot be handled as a ${t.kind}: json: cannot unmarshal ${jsType(value)} into Go struct field ${path} of type ${want}`);
}

function check(t: ResourceType, v: unknown, s: Shape, path: string): void {
  if (v === null || v === undefined) return; // absent, as Go's zero value
  if (typeof s === 'string') {
    const ok = s === 'string' ? typeof v === 'string'
      : s === 'integer' ? Number.isInteger(v)
        : s === 'boolean' ? typeof v === 'boolean'
          : s === 'intOrString' ? typeof v === 'string' || Number.isInteger(v)
            : typeof v === 'object' && !Array.isArray(v);
    if (!ok) throw mismatch(t, path, v, GO_TYPE[s]!);
    return;
  }
  if ('arr' in s) {
    if (!Array.isArray(v)) throw mismatch(t, path, v, '[]' + (typeof s.arr === 'string' ? GO_TYPE[s.arr] : 'struct'));
    // a null element would decode to a zero value in Go; here it would be dereferenced, so refuse it
    for (const x of v) { if (x === null || x === undefined) throw mismatch(t, path, x, typeof s.arr === 'string' ? GO_TYPE[s.arr]! : 'struct'); check(t, x, s.arr, path); }
    return;
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw mismatch(t, path, v, 'map' in s ? 'map[string]string' : 'struct');
  if ('map' in s) { for (const x of Object.values(v as object)) check(t, x, s.map, path); return; }
  for (const [k, sub] of Object.entries(s.obj)) check(t, (v as Record<string, unknown>)[k], sub, `${path}.${k}`);
}

/** Throws a 400 when the body is not an object or a field we read has the wrong JSON type. */
export function checkShape(t: ResourceType, body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'BadRequest', `the object provided is unrecognized (must be of type ${t.kind}): expected a JSON object, got ${jsType(body)}`);
  }
  const b = body as Record<string, unknown>;
  if (b.kind !== undefined && b.kind !== t.kind && b.kind !== 'Scale') {
    throw new ApiError(400, 'BadRequest', `the kind of the object provided (${String(b.kind)}) does not match the kind of the resource (${t.kind})`);
  }
  check(t, b.metadata, META, `${t.kind}.metadata`);
  for (const [k, s] of Object.entries(KINDS[t.kind] ?? {})) check(t, b[k], s, `${t.kind}.${k}`);
}
