// The only way a value reaches nginx.conf. IngressNightmare (CVE-2025-1097/1098/24514) and
// CVE-2026-24512 were all one bug: a value written into the template without quoting. Here every
// string is emitted as an nginx double-quoted token, every number is checked as a number, and a
// value that cannot be written safely throws instead of being "cleaned".
//
// nginx's quoted strings (ngx_conf_file.c): `\"` → `"`, `\\` → `\`, `\t` `\r` `\n` → control
// characters, any other `\x` stays as is. Escaping every `\` as `\\` therefore round-trips exactly,
// regex escapes included. `$` is the hard one: in "script" directives (set, proxy_set_header,
// return, the rewrite replacement) nginx expands variables inside quotes and has no escape for
// `$`; upstream's answer is `geo $literal_dollar { default "$"; }` (geo values are not expanded),
// written as `${literal_dollar}`. In directives nginx compiles once (location, server_name, the
// rewrite regex) `$` is an ordinary character and must stay one.

import { isIP } from 'node:net';

/** a value that cannot be written into nginx.conf safely; the message names the value and why */
export class NginxValueError extends Error {
  override name = 'NginxValueError';
}

/** the variable the http block defines as a literal `$` (see LITERAL_DOLLAR_GEO) */
export const LITERAL_DOLLAR = '${literal_dollar}';
/** defines LITERAL_DOLLAR; geo does not expand variables, so this is a real `$` */
export const LITERAL_DOLLAR_GEO = 'geo $literal_dollar {\n    default "$";\n}';

// Every C0 control character and DEL: a newline or `;` smuggled past a parser is how directives
// get injected; NUL truncates in C. Tabs are refused too: no Kubernetes field needs one here.
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkText(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new NginxValueError(`${what} must be a string, got ${typeof value}`);
  const bad = CONTROL.exec(value);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).padStart(2, '0');
    throw new NginxValueError(`${what} ${JSON.stringify(value)} contains the control character U+00${code.toUpperCase()}; nginx.conf cannot carry it`);
  }
  return value;
}

function escapeQuoted(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/**
 * A quoted string for a directive nginx does NOT expand (location, server_name, rewrite regex,
 * file paths of lua_package_path excluded — see quotePath). `$` stays a literal character.
 */
export function quoteLiteral(value: string, what: string): string {
  return `"${escapeQuoted(checkText(value, what))}"`;
}

/**
 * A quoted string for a directive nginx DOES expand (set, proxy_set_header, return …): every `$`
 * becomes `${literal_dollar}`, so the value reaches the request exactly as written.
 */
export function quoteScript(value: string, what: string): string {
  return `"${escapeQuoted(checkText(value, what)).replace(/\$/g, LITERAL_DOLLAR)}"`;
}

/**
 * The replacement of `rewrite`: `$1`…`$9` stay regex captures (rewrite-target's documented use),
 * every other `$` is a literal dollar.
 */
export function quoteRewriteTarget(value: string, what: string): string {
  const escaped = escapeQuoted(checkText(value, what));
  return `"${escaped.replace(/\$(?![0-9])/g, LITERAL_DOLLAR)}"`;
}

/**
 * A file or directory path the renderer chose (state dir, certificates, Lua). Must be absolute and
 * free of `$`: some of these directives (ssl_certificate, lua_package_path) treat `$` specially.
 */
export function quotePath(value: string, what: string): string {
  checkText(value, what);
  if (!value.startsWith('/')) throw new NginxValueError(`${what} ${JSON.stringify(value)} must be an absolute path`);
  if (value.includes('$')) throw new NginxValueError(`${what} ${JSON.stringify(value)} contains "$", which nginx would read as a variable`);
  return quoteLiteral(value, what);
}

/** an integer within [min, max], written as digits (never quoted: nginx wants a number here) */
export function nginxInt(value: unknown, what: string, min: number, max: number): string {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new NginxValueError(`${what} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return String(value);
}

/** an nginx size/offset such as `1m`, `8k`, `0`: digits and one optional unit */
export function nginxSize(value: unknown, what: string): string {
  if (typeof value !== 'string' || !/^[0-9]{1,12}[kKmMgG]?$/.test(value)) {
    throw new NginxValueError(`${what} must be an nginx size such as 1m, 8k or 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** an address or CIDR for allow/deny, checked with node:net (never passed through as text) */
export function nginxCidr(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new NginxValueError(`${what} must be a string`);
  const [ip, prefix, ...rest] = value.split('/');
  const family = ip === undefined ? 0 : isIP(ip);
  if (family === 0 || rest.length > 0) throw new NginxValueError(`${what} ${JSON.stringify(value)} is not an IP address or CIDR`);
  if (prefix === undefined) return value;
  const max = family === 4 ? 32 : 128;
  if (!/^[0-9]{1,3}$/.test(prefix) || Number(prefix) > max) {
    throw new NginxValueError(`${what} ${JSON.stringify(value)} has a prefix length outside 0..${max}`);
  }
  return `${ip}/${Number(prefix)}`;
}

/** a listen address: IPv4, `[IPv6]`, or `*` */
export function nginxListenAddress(value: string, what: string): string {
  if (value === '*') return value;
  if (isIP(value) === 4) return value;
  if (value.startsWith('[') && value.endsWith(']') && isIP(value.slice(1, -1)) === 6) return value;
  throw new NginxValueError(`${what} ${JSON.stringify(value)} must be an IPv4 address, [IPv6] or *`);
}

/** a name the renderer turns into a file name (a Certificate id): letters, digits, `.` `_` `-` */
export function fileComponent(value: unknown, what: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(value)) {
    throw new NginxValueError(`${what} ${JSON.stringify(value)} must be 1-128 letters, digits, ".", "_" or "-" (it becomes a file name)`);
  }
  return value;
}
