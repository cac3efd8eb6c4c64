// The controller's model: what the cluster's Ingresses, Services, EndpointSlices and Secrets mean
// for nginx, once every value has been validated. `build.ts` makes it from API objects; `render/`
// turns it into nginx.conf (which never holds an endpoint address) plus the backends JSON that
// the Lua balancer receives at runtime, so an endpoint-only change never needs a reload.

export interface ObjectRef { namespace: string; name: string }

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';
export type BackendProtocol = 'HTTP' | 'HTTPS' | 'GRPC' | 'GRPCS';

/** ingress-nginx's name for the controller's own default backend (answers 404) */
export const DEFAULT_BACKEND = 'upstream-default-backend';
/** the catch-all server's name */
export const CATCH_ALL = '_';

export interface IngressModel {
  /** server blocks sorted by hostname; the catch-all `_` is always present */
  servers: Server[];
  /** every upstream the locations name, sorted by name; always includes DEFAULT_BACKEND */
  backends: Backend[];
  /** PEM material referenced by servers, by id */
  certificates: Certificate[];
  /** Ingresses (or parts of them) refused, each with the reason the Event and log line give */
  rejected: Rejection[];
}

export interface Server {
  /** `_`, an exact host, or a wildcard `*.example.com` (matches one label) */
  hostname: string;
  /** TLS for this host: a Secret's certificate, or the generated default one when the Secret is missing or invalid */
  tls?: { certificate: string /* Certificate.id */ } | { certificate: 'default'; reason: string };
  /** locations in the order nginx should see them (ingress-nginx's precedence) */
  locations: Location[];
}

export interface Location {
  /** the path as written in the Ingress (already validated), `/` for a default backend */
  path: string;
  pathType: PathType;
  /** nginx regex location (`~*`), as ingress-nginx does for use-regex / rewrite-target captures */
  regex: boolean;
  /** the Ingress this location comes from; absent for the controller's default backend */
  ingress?: ObjectRef;
  /** the Service and port as the Ingress names them (for metrics, headers and logs) */
  service?: { name: string; port: number | string };
  /** Backend.name the balancer routes to */
  backend: string;
  config: LocationConfig;
}

export interface LocationConfig {
  /** nginx.ingress.kubernetes.io/rewrite-target (may use $1…$9 with a regex path) */
  rewriteTarget?: string;
  /** redirect http → https (308) when the server has TLS (ssl-redirect, default true) */
  sslRedirect: boolean;
  /** redirect even without TLS on the server */
  forceSslRedirect: boolean;
  backendProtocol: BackendProtocol;
  /** whitelist-source-range (CIDRs); empty = everyone */
  allowSourceRanges: string[];
  /** proxy-body-size as nginx size (`1m`, `0`, `8k`) */
  proxyBodySize: string;
  /** seconds */
  proxyConnectTimeout: number;
  proxyReadTimeout: number;
  proxySendTimeout: number;
}

export interface Endpoint { address: string; port: number }

export interface Backend {
  /** ingress-nginx's upstream name: `<namespace>-<service>-<port>` */
  name: string;
  service?: ObjectRef;
  port?: number | string;
  /** ready endpoints (terminating ones only when none is ready, as ingress-nginx) */
  endpoints: Endpoint[];
  /** affinity: cookie (sticky) balancing */
  sessionAffinity?: CookieAffinity;
  /** canary backends consulted before this one, by name */
  alternativeBackends: string[];
  /** when this backend is a canary: when to route to it */
  trafficShaping?: TrafficShaping;
  /** a canary-only backend: no location routes to it directly */
  noServer: boolean;
}

export interface CookieAffinity {
  name: string; // session-cookie-name, default INGRESSCOOKIE
  path?: string;
  expires?: number; // seconds
  maxAge?: number; // seconds
  /** balanced: a cookie whose endpoint is gone picks a new one */
  mode: 'balanced' | 'persistent';
}

export interface TrafficShaping {
  /** 0..weightTotal */
  weight: number;
  weightTotal: number;
  header?: string;
  headerValue?: string;
  headerPattern?: string;
  cookie?: string;
}

export interface Certificate {
  /** stable id (sha-256 of the PEM, shortened): also the file name the runtime writes */
  id: string;
  secret: ObjectRef;
  /** certificate chain then key, PEM */
  pem: string;
  hosts: string[];
  notAfter?: string;
}

export interface Rejection {
  ingress: ObjectRef;
  /** one line, in the user's terms: what is wrong and with which field or annotation */
  reason: string;
}
