// The `nginx.ingress.kubernetes.io/` annotations this controller understands, parsed the way
// upstream's internal/ingress/annotations/* parse them, but every value through grammar.ts: an
// invalid value refuses the Ingress (upstream would only drop the annotation, which once let
// injected text through). Annotations upstream does not know are ignored, as upstream does.
import type { BackendProtocol, CookieAffinity, LocationConfig, TrafficShaping } from '../model.js';
import {
  Invalid, checkBool, checkCidr, checkCookieName, checkCookieSeconds, checkHeaderName, checkHeaderPattern,
  checkHeaderValue, checkRewriteTarget, checkSeconds, checkSize, checkStrictPath, expect, forbidden, oneOf,
  parseBool, quote, type Check,
} from './grammar.js';

export const ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';

export interface IngressAnnotations {
  /** the Ingress's location settings: the ConfigMap defaults overridden by its annotations */
  config: LocationConfig;
  /** use-regex: every path of the hosts this Ingress serves becomes a `~*` location */
  useRegex: boolean;
  /** canary: "true" — the Ingress only adds alternative backends */
  canary?: TrafficShaping;
  /** affinity: cookie */
  affinity?: CookieAffinity;
  /** affinity-canary-behavior: legacy — a canary backend does not inherit the main backend's affinity */
  canaryLegacyAffinity: boolean;
}

const PROTOCOLS: readonly BackendProtocol[] = ['HTTP', 'HTTPS', 'GRPC', 'GRPCS'];
/** upstream supports these; we refuse them clearly instead of proxying with the wrong protocol */
const UNSUPPORTED_PROTOCOLS = ['AJP', 'FCGI', 'AUTO_HTTP'];

const checkProtocol: Check = (v) => {
  const up = v.toUpperCase();
  if ((PROTOCOLS as readonly string[]).includes(up)) return undefined;
  if (UNSUPPORTED_PROTOCOLS.includes(up)) return 'is not supported by this controller (use HTTP, HTTPS, GRPC or GRPCS)';
  return 'is not a backend protocol (HTTP, HTTPS, GRPC or GRPCS)';
};

const checkCidrList: Check = (v) => {
  for (const part of v.split(',')) {
    const problem = checkCidr(part.trim());
    if (problem) return `has ${quote(part.trim())}, which ${problem}`;
  }
  return undefined;
};

const checkCount: Check = (v) => (/^\d{1,9}$/.test(v) ? undefined : 'is not a whole number');

/**
 * Access control this controller does not implement: serving the Ingress without it would expose what
 * its author meant to protect, so it is refused rather than ignored.
 */
const refused = (name: string) => name.startsWith('auth-') || name === 'denylist-source-range';

/** Parses an Ingress's annotations over `defaults`; throws Invalid with a one-line reason. */
export function parseAnnotations(annotations: Record<string, string> | undefined, defaults: LocationConfig): IngressAnnotations {
  const all = annotations ?? {};
  const ours = Object.keys(all).filter((k) => k.startsWith(ANNOTATION_PREFIX)).sort();
  for (const key of ours) {
    const name = key.slice(ANNOTATION_PREFIX.length);
    if (name.endsWith('-snippet')) {
      throw new Invalid(`annotation ${key}: snippet annotations are not allowed (allow-snippet-annotations is false)`);
    }
    if (refused(name)) throw new Invalid(`annotation ${key}: this controller does not implement it, and will not serve the Ingress without the protection it asks for`);
    // every value in our prefix, even of annotations we ignore, as upstream's word blocklist does
    const problem = forbidden(all[key]!);
    if (problem) throw new Invalid(`annotation ${key}: ${quote(all[key]!)} ${problem}`);
  }

  const get = (name: string, check: Check): string | undefined => {
    const value = all[ANNOTATION_PREFIX + name];
    return value === undefined || value === '' ? undefined : expect(`annotation ${ANNOTATION_PREFIX}${name}`, value, check);
  };
  const bool = (name: string, fallback: boolean) => {
    const v = get(name, checkBool);
    return v === undefined ? fallback : parseBool(v);
  };
  const seconds = (name: string, fallback: number) => {
    const v = get(name, checkSeconds);
    return v === undefined ? fallback : Number(v);
  };

  const rewriteTarget = get('rewrite-target', checkRewriteTarget);
  // allowlist-source-range is the current name; whitelist-source-range its older alias (upstream)
  const ranges = get('allowlist-source-range', checkCidrList) ?? get('whitelist-source-range', checkCidrList);
  const config: LocationConfig = {
    ...defaults,
    sslRedirect: bool('ssl-redirect', defaults.sslRedirect),
    forceSslRedirect: bool('force-ssl-redirect', defaults.forceSslRedirect),
    backendProtocol: (get('backend-protocol', checkProtocol)?.toUpperCase() as BackendProtocol | undefined) ?? defaults.backendProtocol,
    allowSourceRanges: ranges === undefined ? [...defaults.allowSourceRanges] : ranges.split(',').map((r) => r.trim()),
    proxyBodySize: get('proxy-body-size', checkSize) ?? defaults.proxyBodySize,
    proxyConnectTimeout: seconds('proxy-connect-timeout', defaults.proxyConnectTimeout),
    proxyReadTimeout: seconds('proxy-read-timeout', defaults.proxyReadTimeout),
    proxySendTimeout: seconds('proxy-send-timeout', defaults.proxySendTimeout),
  };
  if (rewriteTarget !== undefined) config.rewriteTarget = rewriteTarget;
  else delete config.rewriteTarget;

  return {
    config,
    useRegex: bool('use-regex', false),
    canary: canary(get, bool),
    affinity: affinity(get),
    canaryLegacyAffinity: get('affinity-canary-behavior', oneOf('sticky', 'legacy'))?.toLowerCase() === 'legacy',
  };
}

type Get = (name: string, check: Check) => string | undefined;

function canary(get: Get, bool: (name: string, fallback: boolean) => boolean): TrafficShaping | undefined {
  // parsed (so validated) even when canary is off; upstream then ignores them, and so do we
  const weight = Number(get('canary-weight', checkCount) ?? 0);
  const weightTotal = Number(get('canary-weight-total', checkCount) ?? 100);
  const header = get('canary-by-header', checkHeaderName);
  const headerValue = get('canary-by-header-value', checkHeaderValue);
  const headerPattern = get('canary-by-header-pattern', checkHeaderPattern);
  const cookie = get('canary-by-cookie', checkCookieName);
  if (!bool('canary', false)) return undefined;
  if (weightTotal < 1) throw new Invalid(`annotation ${ANNOTATION_PREFIX}canary-weight-total: ${quote(String(weightTotal))} must be at least 1`);
  if (weight > weightTotal) {
    throw new Invalid(`annotation ${ANNOTATION_PREFIX}canary-weight: ${quote(String(weight))} is more than canary-weight-total (${weightTotal})`);
  }
  const shaping: TrafficShaping = { weight, weightTotal };
  if (header !== undefined) shaping.header = header;
  if (headerValue !== undefined) shaping.headerValue = headerValue;
  if (headerPattern !== undefined) shaping.headerPattern = headerPattern;
  if (cookie !== undefined) shaping.cookie = cookie;
  return shaping;
}

function affinity(get: Get): CookieAffinity | undefined {
  const type = get('affinity', oneOf('cookie'));
  const mode = get('affinity-mode', oneOf('balanced', 'persistent'))?.toLowerCase();
  const name = get('session-cookie-name', checkCookieName);
  const path = get('session-cookie-path', checkStrictPath);
  const expires = get('session-cookie-expires', checkCookieSeconds);
  const maxAge = get('session-cookie-max-age', checkCookieSeconds);
  if (type === undefined) return undefined;
  const a: CookieAffinity = { name: name ?? 'INGRESSCOOKIE', mode: mode === 'persistent' ? 'persistent' : 'balanced' };
  if (path !== undefined) a.path = path;
  if (expires !== undefined) a.expires = Number(expires);
  if (maxAge !== undefined) a.maxAge = Number(maxAge);
  return a;
}

/**
 * The problem with a LocationConfig that did not come from annotations (the controller's ConfigMap
 * defaults), or undefined: the same grammar applies to it.
 */
export function checkLocationConfig(c: LocationConfig): string | undefined {
  const checks: Array<[string, string, Check]> = [
    ['proxy-body-size', c.proxyBodySize, checkSize],
    ['proxy-connect-timeout', String(c.proxyConnectTimeout), checkSeconds],
    ['proxy-read-timeout', String(c.proxyReadTimeout), checkSeconds],
    ['proxy-send-timeout', String(c.proxySendTimeout), checkSeconds],
    ['backend-protocol', c.backendProtocol, (v) => ((PROTOCOLS as readonly string[]).includes(v) ? undefined : checkProtocol(v) ?? 'must be upper case')],
    ...c.allowSourceRanges.map((r): [string, string, Check] => ['whitelist-source-range', r, checkCidr]),
    ...(c.rewriteTarget === undefined ? [] : [['rewrite-target', c.rewriteTarget, checkRewriteTarget] as [string, string, Check]]),
  ];
  for (const [field, value, check] of checks) {
    try {
      expect(field, value, check);
    } catch (e) {
      return (e as Error).message;
    }
  }
  return undefined;
}
