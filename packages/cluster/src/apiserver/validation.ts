// Validation with upstream's messages (k8s.io/kubernetes pkg/apis/core/validation and apimachinery).
// The walking skeleton checks names and the fields our controllers and proxy rely on.
import { invalid, type StatusCause } from './errors.js';
import type { ResourceType } from './resources.js';
import type { KubeObject } from './types.js';
import { validateIngress, validateIngressClass } from './validation-ingress.js';
import { validateEndpoints, validateEndpointSlice, validateService } from './validation-service.js';

type Obj = Record<string, any>;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const subdomainMsg = (v: string) =>
  `Invalid value: "${v}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
const labelMsg = (v: string) =>
  `Invalid value: "${v}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`;

/** Kinds whose names must be DNS-1123 labels (the rest take subdomains). */
const labelNamed = new Set(['Service', 'Namespace']);

export function validate(t: ResourceType, obj: KubeObject): void {
  const causes: StatusCause[] = [];
  const name = obj.metadata.name ?? '';
  if (!name) causes.push({ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' });
  else if (labelNamed.has(t.kind) ? !DNS1123_LABEL.test(name) || name.length > 63 : !DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
    causes.push({ field: 'metadata.name', message: labelNamed.has(t.kind) ? labelMsg(name) : subdomainMsg(name) });
  }
  const o = obj as Obj;
  if (t.kind === 'Pod') validatePodSpec(o.spec, 'spec', causes);
  if (t.kind === 'Deployment' || t.kind === 'ReplicaSet' || t.kind === 'DaemonSet') validateWorkload(o, causes);
  if (t.kind === 'Service') validateService(o, causes);
  if (t.kind === 'Endpoints') validateEndpoints(o, causes);
  if (t.kind === 'EndpointSlice') validateEndpointSlice(o, causes);
  if (t.kind === 'Ingress') validateIngress(o, causes);
  if (t.kind === 'IngressClass') validateIngressClass(o, causes);
  if (t.kind === 'Secret') validateSecret(o, causes);
  if (causes.length) throw invalid(t.kind, t.group, name, causes);
}

function validatePodSpec(spec: Obj | undefined, path: string, causes: StatusCause[]): void {
  const containers = (spec?.containers ?? []) as Obj[];
  if (containers.length === 0) causes.push({ field: `${path}.containers`, message: 'Required value', reason: 'FieldValueRequired' });
  containers.forEach((c, i) => {
    if (!c.name) causes.push({ field: `${path}.containers[${i}].name`, message: 'Required value', reason: 'FieldValueRequired' });
    if (!c.image) causes.push({ field: `${path}.containers[${i}].image`, message: 'Required value', reason: 'FieldValueRequired' });
  });
}

function validateWorkload(o: Obj, causes: StatusCause[]): void {
  const selector = o.spec?.selector?.matchLabels as Record<string, string> | undefined;
  const labels = (o.spec?.template?.metadata?.labels ?? {}) as Record<string, string>;
  if (!selector || Object.keys(selector).length === 0) {
    causes.push({ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' });
  } else if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) {
    const shown = Object.entries(labels).map(([k, v]) => `"${k}":"${v}"`).join(', ');
    causes.push({ field: 'spec.template.metadata.labels', message: `Invalid value: map[string]string{${shown}}: \`selector\` does not match template \`labels\`` });
  }
  validatePodSpec(o.spec?.template?.spec, 'spec.template.spec', causes);
}

/** Typed Secrets must carry their keys (pkg/apis/core/validation ValidateSecret). */
function validateSecret(o: Obj, causes: StatusCause[]): void {
  const data = { ...(o.data ?? {}), ...(o.stringData ?? {}) };
  if (o.type === 'kubernetes.io/tls') {
    for (const k of ['tls.crt', 'tls.key']) if (!(k in data)) causes.push({ field: `data[${k}]`, message: 'Required value', reason: 'FieldValueRequired' });
  }
  if (o.type === 'kubernetes.io/basic-auth' && !('username' in data) && !('password' in data)) {
    causes.push({ field: 'data[username]', message: 'Required value', reason: 'FieldValueRequired' });
  }
}

