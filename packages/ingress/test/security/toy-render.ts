// Two deliberately tiny Ingress → nginx.conf renderers that exist only to test the verdict logic
// in check.ts: `unsafe` pastes values into the text as they come (and honours snippets), the way
// the CVEs in the reference happened; `safe` validates what has a syntax, refuses control
// characters, `$` and values over `maxLength` (nginx refuses a token of 4 KiB or more, so an unbounded
// value breaks the whole file), ignores snippets and invalid annotations, and quotes and escapes every value.
// The real renderer is packages/ingress/src/render/; nothing here is meant to resemble its output.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { V1Ingress, V1Secret } from '@kubernetes/client-node';
import type { Rejection } from '../../src/model.js';
import { isIngress, isIngressClass, isSecret, type KubeObject } from './manifests.js';
import { ANNOTATION_PREFIX } from './where.js';

type Mode = 'safe' | 'unsafe';

const DNS = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const PATH = /^\/[A-Za-z0-9._~\-/%]*$/;
const NUMBER = /^[0-9]{1,6}$/;
const SIZE = /^[0-9]{1,6}[kKmMgG]?$/;
const CIDR = /^[0-9]{1,3}(\.[0-9]{1,3}){3}\/[0-9]{1,2}$/;

class Refused extends Error {}

export function toyRender(objects: KubeObject[], mode: Mode, maxLength = 1024): string | Rejection {
  const classes = new Set(objects.filter(isIngressClass).filter((o) => o.spec?.controller === 'k8s.io/ingress-nginx').map((o) => o.metadata!.name));
  const servers: string[] = [];
  for (const ing of objects.filter(isIngress)) {
    if (!classes.has(ing.spec?.ingressClassName ?? '')) continue;
    const ann = (k: string) => ing.metadata?.annotations?.[ANNOTATION_PREFIX + k];
    if (ann('canary') !== undefined) continue; // canaries live in the balancer's JSON, not in nginx.conf
    try {
      servers.push(renderIngress(ing, objects, mode, ann, maxLength));
    } catch (e) {
      if (e instanceof Refused) return { ingress: { namespace: ing.metadata?.namespace ?? '', name: ing.metadata?.name ?? '' }, reason: e.message };
      throw e;
    }
  }
  return `events {}\nhttp {\n  server { listen 80 default_server; server_name _; location / { return 404; } }\n${servers.join('')}}\n`;
}

function renderIngress(ing: V1Ingress, objects: KubeObject[], mode: Mode, ann: (k: string) => string | undefined, maxLength: number): string {
  const safe = mode === 'safe';
  // safe: one check for every string (no control characters, no `$`), then a syntax per kind
  const q = (v: string, syntax?: RegExp, what = 'value'): string => {
    if (!safe) return v;
    if (/[\u0000-\u001f\u007f$]/.test(v) || v.length > maxLength || (syntax && !syntax.test(v))) throw new Refused(`invalid ${what} ${JSON.stringify(v.slice(0, 60))}`);
    return `"${v.replace(/[\\"]/g, '\\$&')}"`;
  };
  // safe: an invalid annotation is ignored, as if absent
  const opt = (k: string, syntax: RegExp): string | undefined => {
    const v = ann(k);
    if (v === undefined || !safe) return v;
    return syntax.test(v) ? v : undefined;
  };
  const meta = ing.metadata!;
  const rule = ing.spec!.rules![0]!;
  const tls = ing.spec!.tls?.[0];
  const lines: string[] = ['  server {', '    listen 80;', `    server_name ${q(rule.host ?? '', DNS, 'host')};`];
  if (tls) {
    for (const h of tls.hosts ?? []) q(h, DNS, 'TLS host');
    const secret = objects.filter(isSecret).find((o) => o.metadata?.name === tls.secretName);
    lines.push('    listen 443 ssl;', `    ssl_certificate ${q(certFile(secret, tls.secretName ?? '', mode))};`);
  }
  if (!safe && ann('server-snippet')) lines.push(ann('server-snippet')!);
  for (const p of rule.http?.paths ?? []) {
    const svc = p.backend.service!;
    const port = svc.port?.name ?? String(svc.port?.number);
    lines.push(`    location ${p.pathType === 'Exact' ? '= ' : ''}${q(p.path ?? '', PATH, 'path')} {`);
    lines.push(`      set $namespace ${q(meta.namespace ?? '', LABEL, 'namespace')};`);
    lines.push(`      set $ingress_name ${q(meta.name ?? '', LABEL, 'name')};`);
    lines.push(`      set $proxy_upstream_name ${q(`${meta.namespace}-${svc.name}-${port}`, DNS, 'service')};`);
    if (meta.uid !== undefined) lines.push(`      set $ingress_uid ${q(meta.uid)};`);
    const target = opt('rewrite-target', PATH);
    if (target !== undefined) lines.push(`      rewrite ${q(`(?i)${p.path}`)} ${q(target, PATH, 'rewrite-target')} break;`);
    for (const c of (opt('whitelist-source-range', /^[0-9./, ]+$/)?.split(',') ?? [])) lines.push(`      allow ${q(c.trim(), CIDR, 'CIDR')};`);
    if (opt('whitelist-source-range', /^[0-9./, ]+$/) !== undefined) lines.push('      deny all;');
    const size = opt('proxy-body-size', SIZE);
    if (size !== undefined) lines.push(`      client_max_body_size ${size};`);
    for (const t of ['connect', 'read', 'send']) {
      const n = opt(`proxy-${t}-timeout`, NUMBER);
      if (n !== undefined) lines.push(`      proxy_${t}_timeout ${n}s;`);
    }
    if (!safe && ann('configuration-snippet')) lines.push(ann('configuration-snippet')!);
    lines.push('      proxy_pass http://upstream_balancer;', '    }');
  }
  return `${lines.join('\n')}\n  }\n`;
}

/** a usable key pair goes to a file named after it; anything else gets the default certificate */
function certFile(secret: V1Secret | undefined, name: string, mode: Mode): string {
  const crt = Buffer.from(secret?.data?.['tls.crt'] ?? '', 'base64').toString('utf8');
  const key = Buffer.from(secret?.data?.['tls.key'] ?? '', 'base64').toString('utf8');
  if (mode === 'unsafe') return `/etc/nginx/certs/${name}.pem`;
  try {
    const cert = new X509Certificate(crt);
    if (!cert.checkPrivateKey(createPrivateKey(key))) return '/etc/nginx/default.pem';
    return `/etc/nginx/certs/${cert.fingerprint256.replace(/:/g, '').slice(0, 16)}.pem`;
  } catch {
    return '/etc/nginx/default.pem';
  }
}
