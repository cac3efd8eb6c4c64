// The strict grammar every value must pass before it may reach nginx.conf (or the Lua balancer's JSON).
// The IngressNightmare CVEs (reference §3.3) came from allow-lists that were too wide and values that
// were written unquoted; here each kind of value gets the narrowest grammar its feature needs, and the
// renderer still quotes and escapes everything. A check returns the problem in the user's terms, or
// undefined when the value is fine.
import { isIP } from 'node:net';

export type Check = (value: string) => string | undefined;

/** An Ingress that must be refused as a whole; `message` is the one-line reason. */
export class Invalid extends Error {}

/** JSON-quoted, one line (U+2028/2029 escaped too), shortened: safe to put in an Event or a log line. */
export function quote(value: string, max = 120): string {
  const short = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(short).replace(/[\u2028\u2029\u0080-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Throws Invalid naming the field and the value when `check` finds a problem. */
export function expect(field: string, value: string, check: Check): string {
  const problem = forbidden(value) ?? check(value);
  if (problem !== undefined) throw new Invalid(`${field}: ${quote(value)} ${problem}`);
  return value;
}

// What upstream's inspector (internal/ingress/inspector/rules.go) and its suggested
// annotation-value-word-blocklist refuse, plus the directives and files IngressNightmare used
// (ssl_engine, load_module, /proc/<pid>/fd) and njs's js_* directives. Case-insensitive.
// The most telling fragment is named first.
const FORBIDDEN: ReadonlyArray<[RegExp, string]> = [
  [/_by_lua/i, '"_by_lua"'],
  [/lua_package/i, '"lua_package"'],
  [/load_module/i, '"load_module"'],
  [/ssl_engine/i, '"ssl_engine"'],
  [/js_/i, '"js_"'],
  [/\/var\/run\/secrets|\/run\/secrets/i, 'a path to mounted Secrets'],
  [/serviceaccount/i, '"serviceaccount"'],
  [/\/etc\/(passwd|shadow|group|nginx|ingress-controller|kubernetes|ssl)/i, 'a path under /etc'],
  [/\/proc\//i, 'a path under /proc'],
  [/[\r\n\0\u2028\u2029]/, 'a line break or NUL'],
];

/** The forbidden fragment a value contains, as a problem, whatever the field. */
export function forbidden(value: string): string | undefined {
  for (const [re, what] of FORBIDDEN) if (re.test(value)) return `contains ${what}, which is never allowed (config injection)`;
  return undefined;
}

// --- Kubernetes names (already validated by the apiserver; checked again because the snapshot may
// come from anywhere, e.g. a forged AdmissionReview as in CVE-2025-1974) ---

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const checkDns1123Label: Check = (v) =>
  v.length <= 63 && LABEL.test(v) ? undefined : 'is not a DNS-1123 label (lowercase letters, digits and "-", at most 63)';

export const checkDns1123Subdomain: Check = (v) =>
  v.length <= 253 && v.split('.').every((l) => LABEL.test(l)) ? undefined
    : 'is not a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", at most 253)';

export const checkDns1035Label: Check = (v) =>
  v.length <= 63 && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(v) ? undefined
    : 'is not a DNS-1035 label (a lowercase letter, then letters, digits and "-", at most 63)';

/** IANA_SVC_NAME, what a Service port name must be */
export const checkPortName: Check = (v) =>
  v.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(v) && /[a-z]/.test(v) && !v.includes('--') ? undefined
    : 'is not a port name (at most 15 lowercase letters, digits and "-", with a letter)';

export const isPortNumber = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535;

// --- hosts ---

/** RFC 1123 DNS name, lowercase as the apiserver requires, optionally `*.` + name (one label); no IP addresses. */
export const checkHostname: Check = (v) => {
  const name = v.startsWith('*.') ? v.slice(2) : v;
  if (isIP(name)) return 'is an IP address; a host must be a DNS name';
  if (v.length > 253 || !name.split('.').every((l) => l.length <= 63 && LABEL.test(l))) {
    return 'is not a DNS name (lowercase RFC 1123 labels, optionally starting with "*.")';
  }
  return undefined;
};

// --- paths ---

const MAX_PATH = 1024;

/** Exact and Prefix paths: upstream's strict-validate-path-type grammar (plus "~"). */
export const checkStrictPath: Check = (v) =>
  v.length <= MAX_PATH && /^\/[A-Za-z0-9._~\-/]*$/.test(v) ? undefined
    : 'is not allowed for this pathType (a "/" then letters, digits and . _ ~ - / only)';

/**
 * ImplementationSpecific paths. They may become `location ~* "^<path>"` (use-regex or rewrite-target
 * anywhere on the host) or a quoted literal prefix, and in both the same text must be safe, so they
 * always pass the regex grammar below and must start with "/".
 */
export const checkRegexPath: Check = (v) => {
  if (!v.startsWith('/')) return 'must start with "/"';
  if (v.length > MAX_PATH) return `is longer than ${MAX_PATH} characters`;
  return regexProblem(v);
};

/** canary-by-header-pattern: the same regex grammar, sent to Lua (PCRE) rather than nginx.conf. */
export const checkHeaderPattern: Check = (v) => (v.length > 256 ? 'is longer than 256 characters' : regexProblem(v));

// The regex subset: literals [A-Za-z0-9._~-/:&=], classes [...] (optionally negated, with ranges),
// groups ( ) and (?: ), alternation |, quantifiers * + ? and {m}, {m,}, {m,n} (each optionally lazy),
// ^ and ., "$" as an end anchor (last, or before ")" or "|": upstream's own rewrite example is
// /something(/|$)(.*)), and backslash escapes of \d \D \w \W \s \S \b \B or of a metacharacter.
// Why these positions are safe: the renderer puts the path inside a double-quoted nginx string,
// where ";", "{", "}" and "#" are literal text and only "\\", '"' and "$" are special. Quotes never
// pass; "\" only escapes a fixed set; a "$" is never followed by a name character, so even where
// nginx interpolates variables it cannot name one ("$)" fails nginx -t instead; location and
// rewrite regexes are not interpolated anyway); "{" only as a counted repetition. PCRE and
// JavaScript agree on this subset, so JavaScript compiling it is evidence nginx will too.
// Lookarounds, backreferences, named groups, inline flags, recursion and callouts are out: no path
// needs them. Catastrophic backtracking ((a+)+) is not detected, as upstream.
const REGEX_LITERAL = /[A-Za-z0-9._~\-/:&=]/;
const ESCAPABLE = /[dDwWsSbB.^|?*+()[\]\\/\-]/;
const CLASS_ESCAPABLE = /[dDwWs.\\\-\]^[/]/;

function regexProblem(v: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\') {
      const n = v[i + 1];
      if (n === undefined || !ESCAPABLE.test(n)) return `has "\\${n ?? ''}" at ${i}; only \\d \\w \\s \\b (and upper case) or an escaped metacharacter`;
      i++;
    } else if (c === '[') {
      const end = classEnd(v, i);
      if (typeof end === 'string') return end;
      i = end;
    } else if (c === '(') {
      if (v[i + 1] === '?' && v[i + 2] !== ':') return `has "(?" at ${i}; only "(?:" groups are allowed`;
      depth++;
    } else if (c === ')') {
      if (--depth < 0) return `has an unbalanced ")" at ${i}`;
    } else if (c === '{') {
      const m = /^\{\d{1,3}(,\d{0,3})?\}\??/.exec(v.slice(i));
      if (!m) return `has "{" at ${i} that is not a repetition like {3} or {2,5}`;
      i += m[0].length - 1;
    } else if (c === '$') {
      const n = v[i + 1];
      if (n !== undefined && n !== ')' && n !== '|') return `has "$" at ${i}; "$" is only allowed as an end anchor (last, or before ")" or "|")`;
    } else if (!REGEX_LITERAL.test(c) && !'^.*+?|'.includes(c)) {
      return `has ${quote(c)} at ${i}, which is not allowed (letters, digits, . _ ~ - / : & = and regex operators only)`;
    }
  }
  if (depth !== 0) return 'has an unbalanced "("';
  try {
    new RegExp(v);
  } catch (e) {
    return `is not a valid regular expression (${(e as Error).message.replace(/^Invalid regular expression: /, '')})`;
  }
  return undefined;
}

/** index of the "]" closing the class opened at `start`, or the problem */
function classEnd(v: string, start: number): number | string {
  let i = start + 1;
  if (v[i] === '^') i++;
  const first = i;
  for (; i < v.length; i++) {
    const c = v[i]!;
    if (c === ']' && i > first) return i;
    if (c === '\\') {
      const n = v[i + 1];
      if (n === undefined || !CLASS_ESCAPABLE.test(n)) return `has "\\${n ?? ''}" in a character class at ${i}`;
      i++;
    } else if (!REGEX_LITERAL.test(c) && !'^.*+?|()'.includes(c)) {
      return `has ${quote(c)} in a character class at ${i}, which is not allowed`;
    }
  }
  return `has an unterminated or empty character class at ${start}`;
}

// --- annotation values ---

/** rewrite-target: a path with $1…$9 capture references (upstream's RegexPathWithCapture, narrowed). */
export const checkRewriteTarget: Check = (v) => {
  if (v.length > MAX_PATH) return `is longer than ${MAX_PATH} characters`;
  if (!/^\/(?:[A-Za-z0-9._~\-/]|\$[1-9](?![0-9]))*$/.test(v)) {
    return 'is not a rewrite target (a "/" then letters, digits, . _ ~ - / and $1…$9 captures)';
  }
  return undefined;
};

/** a cookie name: a conservative subset of the RFC 6265 token (no $ # % & \' or quotes) */
export const checkCookieName: Check = (v) =>
  /^[A-Za-z0-9_.~-]{1,64}$/.test(v) ? undefined : 'is not a cookie name (1-64 letters, digits and _ . ~ -)';

/** a header name as nginx passes it ($http_*): letters, digits and "-" */
export const checkHeaderName: Check = (v) =>
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$/.test(v) ? undefined : 'is not a header name (1-64 letters, digits and "-")';

/** a header value to compare with: upstream's BasicChars */
export const checkHeaderValue: Check = (v) =>
  /^[A-Za-z0-9._~\-/:]{1,256}$/.test(v) ? undefined : 'is not an allowed header value (1-256 letters, digits and . _ ~ - / :)';

/** an nginx size: digits with an optional k, m or g (what ngx_parse_size accepts) */
export const checkSize: Check = (v) =>
  /^\d{1,9}[kKmMgG]?$/.test(v) ? undefined : 'is not a size (digits with an optional k, m or g suffix, e.g. 1m, 8k, 0)';

/** whole seconds, 1…999999 */
export const checkSeconds: Check = (v) =>
  /^\d{1,6}$/.test(v) && Number(v) >= 1 ? undefined : 'is not a timeout in whole seconds (1-999999)';

/** non-negative whole number of seconds for cookies */
export const checkCookieSeconds: Check = (v) =>
  /^\d{1,10}$/.test(v) ? undefined : 'is not a whole number of seconds';

/** an IPv4/IPv6 address or CIDR as nginx's allow directive takes it */
export const checkCidr: Check = (v) => {
  const [addr = '', bits, extra] = v.split('/');
  if (extra !== undefined || !/^[0-9A-Fa-f:.]+$/.test(addr)) return 'is not an IP address or CIDR';
  const family = isIP(addr);
  if (family === 0) return 'is not an IP address or CIDR';
  if (bits === undefined) return undefined;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128) ? undefined : 'has an invalid prefix length';
};

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool, which upstream's annotation parser uses */
export const checkBool: Check = (v) => (TRUE.has(v) || FALSE.has(v) ? undefined : 'is not a boolean ("true" or "false")');
export const parseBool = (v: string): boolean => TRUE.has(v);

/** one of the listed words, case-insensitive */
export const oneOf = (...words: string[]): Check => (v) =>
  words.includes(v.toLowerCase()) ? undefined : `is not one of ${words.map((w) => `"${w}"`).join(', ')}`;
