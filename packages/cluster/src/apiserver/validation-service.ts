// Service, Endpoints and EndpointSlice validation with upstream's messages
// (pkg/apis/core/validation ValidateService / ValidateEndpoints, pkg/apis/discovery/validation).
import { isIP } from 'node:net';
import type { StatusCause } from './errors.js';

type Obj = Record<string, any>;

const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const MAX_AFFINITY_SECONDS = 86400;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
const invalidCause = (field: string, value: unknown, message: string): StatusCause => ({ field, message: `Invalid value: ${show(value)}: ${message}` });

/** validation.IsValidPortName: an IANA service name. */
function portNameProblems(name: string): string[] {
  const out: string[] = [];
  if (name.length > 15) out.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) out.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) out.push('must contain at least one letter (a-z)');
  if (name.includes('--')) out.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) out.push('must not begin or end with a hyphen');
  return out;
}

/** The endpoint address rules: a valid IP that is not loopback, link-local or link-local multicast. */
export function endpointIPProblems(ip: string): string | undefined {
  if (!IPV4.test(ip)) return 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
  if (ip.startsWith('127.')) return 'may not be in the loopback range (127.0.0.0/8, ::1/128)';
  if (ip.startsWith('169.254.')) return 'may not be in the link-local range (169.254.0.0/16, fe80::/10)';
  if (ip.startsWith('224.0.0.')) return 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)';
  return undefined;
}

export function validateService(o: Obj, causes: StatusCause[]): void {
  const spec = o.spec ?? {};
  const ports = (spec.ports ?? []) as Obj[];
  if (!TYPES.includes(spec.type)) {
    causes.push({ field: 'spec.type', message: `Unsupported value: ${show(spec.type)}: supported values: ${TYPES.map((t) => `"${t}"`).join(', ')}`, reason: 'FieldValueNotSupported' });
  }
  if (spec.type === 'ExternalName') {
    const name = String(spec.externalName ?? '').replace(/\.$/, '');
    if (!name) causes.push({ field: 'spec.externalName', message: 'Required value', reason: 'FieldValueRequired' });
    else if (!SUBDOMAIN.test(name)) causes.push(invalidCause('spec.externalName', spec.externalName, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
  } else if (spec.clusterIP !== 'None' && ports.length === 0) {
    causes.push({ field: 'spec.ports', message: 'Required value', reason: 'FieldValueRequired' });
  }
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const f = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) causes.push({ field: `${f}.name`, message: 'Required value', reason: 'FieldValueRequired' });
    if (p.name) {
      if (names.has(p.name)) causes.push({ field: `${f}.name`, message: `Duplicate value: ${show(p.name)}`, reason: 'FieldValueDuplicate' });
      names.add(p.name);
    }
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) causes.push(invalidCause(`${f}.port`, p.port, 'must be between 1 and 65535, inclusive'));
    if (!['TCP', 'UDP', 'SCTP'].includes(p.protocol)) {
      causes.push({ field: `${f}.protocol`, message: `Unsupported value: ${show(p.protocol)}: supported values: "SCTP", "TCP", "UDP"`, reason: 'FieldValueNotSupported' });
    }
    const tp = p.targetPort;
    if (typeof tp === 'number' && (tp < 1 || tp > 65535)) causes.push(invalidCause(`${f}.targetPort`, tp, 'must be between 1 and 65535, inclusive'));
    if (typeof tp === 'string') for (const problem of portNameProblems(tp)) causes.push(invalidCause(`${f}.targetPort`, tp, problem));
  });
  if (!['None', 'ClientIP', undefined].includes(spec.sessionAffinity)) {
    causes.push({ field: 'spec.sessionAffinity', message: `Unsupported value: ${show(spec.sessionAffinity)}: supported values: "ClientIP", "None"`, reason: 'FieldValueNotSupported' });
  }
  if (spec.sessionAffinity === 'ClientIP') {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (!(t > 0 && t <= MAX_AFFINITY_SECONDS)) {
      causes.push(invalidCause('spec.sessionAffinityConfig.clientIP.timeoutSeconds', t, `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`));
    }
  } else if (spec.sessionAffinityConfig && spec.type !== 'ExternalName') {
    causes.push(invalidCause('spec.sessionAffinityConfig', spec.sessionAffinityConfig, 'must not be set when session affinity is None'));
  }
  ((spec.externalIPs ?? []) as string[]).forEach((ip, i) => {
    // either family is valid here; a single-stack proxy ignores the other one
    if (isIP(ip) === 0) causes.push(invalidCause(`spec.externalIPs[${i}]`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
  });
}

export function validateEndpoints(o: Obj, causes: StatusCause[]): void {
  ((o.subsets ?? []) as Obj[]).forEach((ss, i) => {
    for (const kind of ['addresses', 'notReadyAddresses']) {
      ((ss[kind] ?? []) as Obj[]).forEach((a, j) => {
        const problem = endpointIPProblems(String(a.ip ?? ''));
        if (problem) causes.push(invalidCause(`subsets[${i}].${kind}[${j}].ip`, a.ip ?? '', problem));
      });
    }
    ((ss.ports ?? []) as Obj[]).forEach((p, j) => {
      if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) causes.push(invalidCause(`subsets[${i}].ports[${j}].port`, p.port, 'must be between 1 and 65535, inclusive'));
    });
  });
}

export function validateEndpointSlice(o: Obj, causes: StatusCause[]): void {
  if (!['IPv4', 'IPv6', 'FQDN'].includes(o.addressType)) {
    causes.push({ field: 'addressType', message: `Unsupported value: ${show(o.addressType)}: supported values: "FQDN", "IPv4", "IPv6"`, reason: 'FieldValueNotSupported' });
  }
  ((o.endpoints ?? []) as Obj[]).forEach((e, i) => {
    const addrs = (e.addresses ?? []) as string[];
    if (addrs.length === 0) causes.push({ field: `endpoints[${i}].addresses`, message: 'Required value: must contain at least 1 address', reason: 'FieldValueRequired' });
    if (o.addressType === 'IPv4') addrs.forEach((ip, j) => { const p = endpointIPProblems(ip); if (p) causes.push(invalidCause(`endpoints[${i}].addresses[${j}]`, ip, p)); });
  });
}
