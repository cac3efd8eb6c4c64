// Ingress and IngressClass validation with upstream's messages (pkg/apis/networking/validation).
import type { StatusCause } from './errors.js';

type Obj = Record<string, any>;

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const WILDCARD_MSG = "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];

const invalidCause = (field: string, value: unknown, message: string): StatusCause =>
  ({ field, message: `Invalid value: ${typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value)}: ${message}` });

function validateHost(host: string, field: string, causes: StatusCause[]): void {
  if (IPV4.test(host)) { causes.push(invalidCause(field, host, 'must be a DNS name, not an IP address')); return; }
  if (host.startsWith('*.')) { if (!SUBDOMAIN.test(host.slice(2))) causes.push(invalidCause(field, host, WILDCARD_MSG)); return; }
  if (!SUBDOMAIN.test(host)) causes.push(invalidCause(field, host, SUBDOMAIN_MSG));
}

function validateBackend(b: Obj | undefined, field: string, causes: StatusCause[]): void {
  const hasService = !!b?.service;
  const hasResource = !!b?.resource;
  if (hasService && hasResource) { causes.push(invalidCause(field, '', 'cannot set both resource and service backends')); return; }
  if (!hasService && !hasResource) { causes.push(invalidCause(field, '', 'resource or service backend is required')); return; }
  if (hasResource) {
    if (!b!.resource.kind) causes.push({ field: `${field}.resource.kind`, message: 'Required value', reason: 'FieldValueRequired' });
    if (!b!.resource.name) causes.push({ field: `${field}.resource.name`, message: 'Required value', reason: 'FieldValueRequired' });
    return;
  }
  const svc = b!.service;
  if (!svc.name) causes.push({ field: `${field}.service.name`, message: 'Required value', reason: 'FieldValueRequired' });
  else if (!LABEL.test(svc.name)) causes.push(invalidCause(`${field}.service.name`, svc.name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"));
  const port = svc.port ?? {};
  if (port.name && port.number) causes.push(invalidCause(`${field}.service.port`, port.name, 'cannot set both port name & port number'));
  else if (!port.name && !port.number) causes.push(invalidCause(`${field}.service.port`, '', 'port name or number is required'));
  else if (port.number && (port.number < 1 || port.number > 65535)) causes.push(invalidCause(`${field}.service.port.number`, port.number, 'must be between 1 and 65535, inclusive'));
}

function validatePath(p: Obj, field: string, causes: StatusCause[]): void {
  if (!p.pathType) { causes.push({ field: `${field}.pathType`, message: 'Required value: pathType must be specified', reason: 'FieldValueRequired' }); }
  else if (!PATH_TYPES.includes(p.pathType)) {
    causes.push({ field: `${field}.pathType`, message: `Unsupported value: "${p.pathType}": supported values: ${PATH_TYPES.map((t) => `"${t}"`).join(', ')}`, reason: 'FieldValueNotSupported' });
  }
  const path: string = p.path ?? '';
  if ((p.pathType === 'Exact' || p.pathType === 'Prefix') || path) {
    if (!path.startsWith('/')) causes.push(invalidCause(`${field}.path`, path, 'must be an absolute path'));
    else if (p.pathType !== 'ImplementationSpecific') {
      for (const bad of ['//', '/./', '/../', '%2f', '%2F']) if (path.includes(bad)) { causes.push(invalidCause(`${field}.path`, path, `must not contain '${bad}'`)); break; }
      if (path.endsWith('/..') || path.endsWith('/.')) causes.push(invalidCause(`${field}.path`, path, `must not end with '${path.slice(path.lastIndexOf('/'))}'`));
    }
  }
  validateBackend(p.backend, `${field}.backend`, causes);
}

export function validateIngress(o: Obj, causes: StatusCause[]): void {
  const spec = o.spec ?? {};
  const rules = (spec.rules ?? []) as Obj[];
  if (!spec.defaultBackend && rules.length === 0) causes.push(invalidCause('spec', spec, 'either `defaultBackend` or `rules` must be specified'));
  if (spec.defaultBackend) validateBackend(spec.defaultBackend, 'spec.defaultBackend', causes);
  if (spec.ingressClassName && !SUBDOMAIN.test(spec.ingressClassName)) causes.push(invalidCause('spec.ingressClassName', spec.ingressClassName, SUBDOMAIN_MSG));
  rules.forEach((r, i) => {
    if (r.host) validateHost(r.host, `spec.rules[${i}].host`, causes);
    ((r.http?.paths ?? []) as Obj[]).forEach((p, j) => validatePath(p, `spec.rules[${i}].http.paths[${j}]`, causes));
    if (r.http && !(r.http.paths ?? []).length) causes.push({ field: `spec.rules[${i}].http.paths`, message: 'Required value', reason: 'FieldValueRequired' });
  });
  ((spec.tls ?? []) as Obj[]).forEach((t, i) => ((t.hosts ?? []) as string[]).forEach((h, j) => validateHost(h, `spec.tls[${i}].hosts[${j}]`, causes)));
}

export function validateIngressClass(o: Obj, causes: StatusCause[]): void {
  const controller: string | undefined = o.spec?.controller;
  if (!controller) causes.push({ field: 'spec.controller', message: 'Required value', reason: 'FieldValueRequired' });
  else if (controller.length > 250) causes.push({ field: 'spec.controller', message: `Too long: may not be more than 250 bytes`, reason: 'FieldValueTooLong' });
}
