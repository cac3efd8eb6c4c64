// One Ingress, validated field by field and normalised as upstream's store does (empty path → "/",
// missing pathType → Prefix), or refused as a whole with the first problem found.
import type { V1Ingress, V1IngressBackend } from '@kubernetes/client-node';
import { CATCH_ALL, type LocationConfig, type ObjectRef, type PathType } from '../model.js';
import { parseAnnotations, type IngressAnnotations } from './annotations.js';
import {
  Invalid, checkDns1035Label, checkDns1123Label, checkDns1123Subdomain, checkHostname, checkPortName, checkRegexPath,
  checkStrictPath, expect, isPortNumber, quote,
} from './grammar.js';

export interface ServiceRef { name: string; port: number | string }

export interface ParsedPath {
  /** the rule's host, CATCH_ALL when it has none */
  host: string;
  path: string;
  pathType: PathType;
  service: ServiceRef;
}

export interface ParsedTls { hosts: string[]; secretName?: string }

export interface ParsedIngress {
  ref: ObjectRef;
  /** creationTimestamp in ms; -Infinity when missing (Go's zero time sorts first too) */
  created: number;
  ann: IngressAnnotations;
  /** every rule's host (CATCH_ALL for none), in order, once each; rules without http count too */
  hosts: string[];
  paths: ParsedPath[];
  defaultBackend?: ServiceRef;
  tls: ParsedTls[];
}

const PATH_TYPES: readonly string[] = ['Exact', 'Prefix', 'ImplementationSpecific'];

export function parseIngress(ing: V1Ingress, defaults: LocationConfig): ParsedIngress {
  const namespace = required('metadata.namespace', ing.metadata?.namespace);
  const name = required('metadata.name', ing.metadata?.name);
  expect('metadata.namespace', namespace, checkDns1123Label);
  expect('metadata.name', name, checkDns1123Subdomain);
  const ann = parseAnnotations(ing.metadata?.annotations, defaults);

  const spec = ing.spec ?? {};
  const defaultBackend = spec.defaultBackend ? serviceRef('spec.defaultBackend', spec.defaultBackend) : undefined;
  const hosts: string[] = [];
  const paths: ParsedPath[] = [];
  (spec.rules ?? []).forEach((rule, i) => {
    const host = rule.host ? expect(`spec.rules[${i}].host`, rule.host, checkHostname) : CATCH_ALL;
    if (!hosts.includes(host)) hosts.push(host);
    (rule.http?.paths ?? []).forEach((p, j) => {
      const field = `spec.rules[${i}].http.paths[${j}]`;
      const pathType = (p.pathType || 'Prefix') as PathType;
      if (!PATH_TYPES.includes(pathType)) throw new Invalid(`${field}.pathType: ${quote(pathType)} is not Exact, Prefix or ImplementationSpecific`);
      const path = expect(`${field}.path`, p.path || '/', pathType === 'ImplementationSpecific' ? checkRegexPath : checkStrictPath);
      // a resource backend is not something nginx can proxy to; upstream skips the path the same way
      if (!p.backend?.service && p.backend?.resource) return;
      paths.push({ host, path, pathType, service: serviceRef(`${field}.backend`, p.backend) });
    });
  });

  const tls = (spec.tls ?? []).map((t, k): ParsedTls => {
    const entry: ParsedTls = { hosts: (t.hosts ?? []).map((h, m) => expect(`spec.tls[${k}].hosts[${m}]`, h, checkHostname)) };
    if (t.secretName) entry.secretName = expect(`spec.tls[${k}].secretName`, t.secretName, checkDns1123Subdomain);
    return entry;
  });

  const created = ing.metadata?.creationTimestamp === undefined ? -Infinity : new Date(ing.metadata.creationTimestamp).getTime();
  const parsed: ParsedIngress = { ref: { namespace, name }, created: Number.isNaN(created) ? -Infinity : created, ann, hosts, paths, tls };
  if (defaultBackend) parsed.defaultBackend = defaultBackend;
  return parsed;
}

function required(field: string, value: string | undefined): string {
  if (!value) throw new Invalid(`${field}: missing`);
  return value;
}

function serviceRef(field: string, backend: V1IngressBackend | undefined): ServiceRef {
  const svc = backend?.service;
  if (!svc) throw new Invalid(`${field}: has no service`);
  const name = expect(`${field}.service.name`, svc.name ?? '', checkDns1035Label);
  const { number, name: portName } = svc.port ?? {};
  if ((number === undefined) === (portName === undefined || portName === '')) {
    throw new Invalid(`${field}.service.port: needs exactly one of number and name`);
  }
  if (number !== undefined) {
    if (!isPortNumber(number)) throw new Invalid(`${field}.service.port.number: ${quote(String(number))} is not a port number (1-65535)`);
    return { name, port: number };
  }
  return { name, port: expect(`${field}.service.port.name`, portName!, checkPortName) };
}
