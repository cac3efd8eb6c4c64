// The backends JSON the Lua balancer receives on POST /configuration/backends (see
// lua/backends.lua for the reader). Endpoints live only here, never in nginx.conf, which is why an
// endpoint change needs no reload. The text is canonical (fixed key order, endpoints sorted) so the
// runtime can skip a push when nothing changed by comparing strings.
//
// This JSON never enters nginx.conf, but its strings do reach HTTP headers (Set-Cookie) and nginx
// variable lookups, so they are validated here as well as in Lua.

import { isIP } from 'node:net';
import { DEFAULT_BACKEND, type Backend, type Endpoint, type IngressModel } from '../model.js';
import type { RenderEnv } from './env.js';
import { NginxValueError } from './quote.js';

export interface LuaEndpoint { address: string; port: number }

export interface LuaBackend {
  name: string;
  endpoints: LuaEndpoint[];
  alternativeBackends: string[];
  sessionAffinity?: { name: string; path?: string; expires?: number; maxAge?: number; mode: 'balanced' | 'persistent' };
  trafficShaping?: { weight: number; weightTotal: number; header?: string; headerValue?: string; headerPattern?: string; cookie?: string };
  noServer: boolean;
}

// RFC 7230 token: header and cookie names
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

function fail(backend: string, msg: string): never {
  throw new NginxValueError(`backend ${JSON.stringify(backend)}: ${msg}`);
}

function token(backend: string, what: string, v: string): string {
  if (!TOKEN.test(v)) fail(backend, `${what} ${JSON.stringify(v)} is not a valid HTTP token`);
  return v;
}

function text(backend: string, what: string, v: string): string {
  if (CONTROL.test(v)) fail(backend, `${what} ${JSON.stringify(v)} contains a control character`);
  return v;
}

function count(backend: string, what: string, v: number, max = 2 ** 31 - 1): number {
  if (!Number.isInteger(v) || v < 0 || v > max) fail(backend, `${what} must be an integer from 0 to ${max}, got ${v}`);
  return v;
}

function endpoint(backend: string, e: Endpoint): LuaEndpoint {
  if (isIP(e.address) === 0) fail(backend, `endpoint address ${JSON.stringify(e.address)} is not an IP address`);
  if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) fail(backend, `endpoint port ${e.port} is outside 1..65535`);
  return { address: e.address, port: e.port };
}

function byAddress(a: LuaEndpoint, b: LuaEndpoint): number {
  return a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port;
}

function luaBackend(b: Backend, env: RenderEnv): LuaBackend {
  const name = text(b.name, 'name', b.name);
  let endpoints = b.endpoints.map((e) => endpoint(name, e));
  // The controller's default backend is nginx itself (the 404 server), unless the builder named
  // a default-backend Service with endpoints.
  if (name === DEFAULT_BACKEND && endpoints.length === 0) {
    endpoints = [{ address: env.defaultBackendAddress, port: env.ports.defaultBackend }];
  }
  const out: LuaBackend = {
    name,
    endpoints: [...endpoints].sort(byAddress),
    alternativeBackends: b.alternativeBackends.map((n) => text(name, 'alternative backend', n)),
    noServer: b.noServer,
  };
  const a = b.sessionAffinity;
  if (a) {
    out.sessionAffinity = { name: token(name, 'session cookie name', a.name), mode: a.mode };
    if (a.path !== undefined) {
      if (!/^[\x21-\x3a\x3c-\x7e]+$/.test(a.path)) fail(name, `session cookie path ${JSON.stringify(a.path)} must be printable ASCII without spaces or ";"`);
      out.sessionAffinity.path = a.path;
    }
    if (a.expires !== undefined) out.sessionAffinity.expires = count(name, 'session cookie expires', a.expires);
    if (a.maxAge !== undefined) out.sessionAffinity.maxAge = count(name, 'session cookie max-age', a.maxAge);
  }
  const t = b.trafficShaping;
  if (t) {
    const weightTotal = count(name, 'canary weight total', t.weightTotal);
    out.trafficShaping = { weight: count(name, 'canary weight', t.weight, Math.max(weightTotal, 100)), weightTotal };
    if (t.header !== undefined) out.trafficShaping.header = token(name, 'canary header', t.header);
    if (t.headerValue !== undefined) out.trafficShaping.headerValue = text(name, 'canary header value', t.headerValue);
    if (t.headerPattern !== undefined) out.trafficShaping.headerPattern = text(name, 'canary header pattern', t.headerPattern);
    if (t.cookie !== undefined) out.trafficShaping.cookie = token(name, 'canary cookie', t.cookie);
  }
  return out;
}

/** the backends array the Lua side expects, validated */
export function luaBackends(model: IngressModel, env: RenderEnv): LuaBackend[] {
  const backends = model.backends.map((b) => luaBackend(b, env));
  if (!backends.some((b) => b.name === DEFAULT_BACKEND)) {
    backends.push(luaBackend({ name: DEFAULT_BACKEND, endpoints: [], alternativeBackends: [], noServer: false }, env));
  }
  return backends.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** the POST body for /configuration/backends (canonical: equal models give equal text) */
export function renderBackendsJson(model: IngressModel, env: RenderEnv): string {
  return JSON.stringify(luaBackends(model, env));
}
