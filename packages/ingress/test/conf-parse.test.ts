// The nginx configuration parser on inputs chosen to trip a naive one: quotes, escapes, comments
// inside quotes, braces in strings, `${var}`, Lua blocks with braces in strings and comments, and
// `nginx -T` output with forged section headers. (conf-parse-nginx.test.ts checks the same
// parser against the real nginx binary.)
import { describe, expect, it } from 'vitest';
import { directiveShape, parseConf, parseConfig, parseNginxT, type Directive } from '../src/nginx/conf-parse.js';
import { scanLuaBlock } from '../src/nginx/lua-block.js';

/** name + args of each top-level directive, the compact form most cases compare */
const flat = (ds: Directive[]) => ds.map((d) => [d.name, ...d.args]);
const one = (text: string) => parseConf(text)[0]!;

describe('nginx tokens', () => {
  it('splits on whitespace, `;` and `{`, and counts lines', () => {
    const ds = parseConf('a 1  2\t3;\nb\r\n  x;\n\nc { d; }\n');
    expect(flat(ds)).toEqual([['a', '1', '2', '3'], ['b', 'x'], ['c']]);
    expect(ds.map((d) => d.line)).toEqual([1, 2, 5]);
    expect(ds[2]!.block!.map((d) => [d.name, d.line])).toEqual([['d', 5]]);
  });

  it('keeps `;`, `{`, `}` and `#` inside quotes', () => {
    const d = one(`add_header X "a;b{c}d # not a comment" 'e;f}';`);
    expect(d.args).toEqual(['X', 'a;b{c}d # not a comment', 'e;f}']);
    expect(d.argQuotes).toEqual(['none', 'double', 'single']);
  });

  it('processes only nginx escapes: \\" \\\' \\\\ \\t \\r \\n; any other \\x stays', () => {
    expect(one(String.raw`x "a\"b" 'c\'d' "e\\f" "t\tr\rn\n" "\d\$\{";`).args)
      .toEqual(['a"b', "c'd", 'e\\f', 't\tr\rn\n', '\\d\\$\\{']);
    // outside quotes too, and a backslash hides whitespace and `;` from the splitter
    expect(one(String.raw`x a\ b c\;d e\"f;`).args).toEqual(['a\\ b', 'c\\;d', 'e"f']);
  });

  it('lets a quoted string span lines', () => {
    const ds = parseConf('x "a\nb;\n}" ;\ny;');
    expect(flat(ds)).toEqual([['x', 'a\nb;\n}'], ['y']]);
    expect(ds[1]!.line).toBe(4);
  });

  it('opens quotes only at the start of a token', () => {
    expect(one(`x a"b c"d e' 'f';`).args).toEqual(['a"b', 'c"d', "e'", 'f']);
  });

  it('ends a token only on whitespace, `;` or `{`: `}` and `#` inside a token are text', () => {
    expect(one('x a}b c#d e};').args).toEqual(['a}b', 'c#d', 'e}']);
  });

  it('treats `#` at the start of a token as a comment to the end of the line', () => {
    expect(flat(parseConf('x 1 # ; } {\n 2;\n# y;\nz; # }'))).toEqual([['x', '1', '2'], ['z']]);
  });

  it('does not open a block on `${`', () => {
    expect(flat(parseConf('return 200 ${host}x;'))).toEqual([['return', '200', '${host}x']]);
    // only directly after `$`: in `$a{` the `{` ends the token and opens a block
    expect(parseConf('x $a{ b; }')[0]).toMatchObject({ args: ['$a'], block: [{ name: 'b' }] });
    expect(flat(parseConf('set $v "${x}{";'))).toEqual([['set', '$v', '${x}{']]);
  });

  it('makes a `)` after a closing quote a token of its own (`if` conditions)', () => {
    expect(one('if ($a = "b") { return 403; }').args).toEqual(['($a', '=', 'b', ')']);
  });

  it('allows a quoted directive name', () => {
    const d = one('"server_name" x;');
    expect([d.name, d.nameQuote]).toEqual(['server_name', 'double']);
  });

  it('rejects what nginx rejects, with nginx\'s message and line', () => {
    const bad: Array<[string, RegExp]> = [
      ['x "a""b";', /unexpected """ in nginx.conf:1/],
      ['x "a"b;', /unexpected "b"/],
      ['x;\n;', /unexpected ";" in nginx.conf:2/],
      ['{ }', /unexpected "{"/],
      ['x }', /unexpected "}"/],
      ['}', /unexpected "}"/],
      ['x {\n y;', /unexpected end of file, expecting "}"/],
      ['x', /unexpected end of file, expecting ";" or "}"/],
      ['x "abc;', /unexpected end of file/],
    ];
    for (const [text, err] of bad) expect(() => parseConf(text), text).toThrow(err);
  });

  it('refuses a token of 4 KiB or more, counted in bytes, as nginx\'s buffer does', () => {
    expect(one(`x "${'a'.repeat(4094)}";`).args[0]).toHaveLength(4094);
    expect(() => parseConf(`x "${'a'.repeat(4095)}";`)).toThrow(/too long parameter "aaaaaaaaaa\.\.\." started/);
    expect(() => parseConf(`x "${'a'.repeat(4096)}";`)).toThrow(/too long parameter, probably missing terminating """ character/);
    expect(() => parseConf(`x "${'é'.repeat(2048)}";`)).toThrow(/too long parameter/);
    expect(() => parseConf(`# ${'c'.repeat(5000)}\nx;`)).toThrow(/too long parameter "# cccccccc\.\.\." started/);
    // the limit bites when nginx must read byte 4097 of the token: at the end of the text it need not
    expect(() => parseConf(`x;# ${'c'.repeat(4094)}`)).not.toThrow();
    expect(() => parseConf(`x;# ${'c'.repeat(4095)}`)).toThrow(/too long parameter/);
  });

  it('keeps a NUL byte as an ordinary character', () => {
    expect(one('x "a\u0000b" c\u0000d;').args).toEqual(['a\u0000b', 'c\u0000d']);
  });
});

describe('*_by_lua_block bodies', () => {
  it('takes the body verbatim as one argument, whatever nginx syntax it holds', () => {
    const d = one('content_by_lua_block { ngx.say("hi"); local t = {a = {}} # not nginx }\nnext;');
    expect(d.args).toEqual([' ngx.say("hi"); local t = {a = {}} # not nginx ']);
    expect(d.argQuotes).toEqual(['lua']);
    expect(d.block).toBeUndefined();
  });

  it('ignores braces in Lua strings, long strings and comments', () => {
    const body = [
      '',
      '  local a = "} {"',
      "  local b = 'it\\'s }'",
      '  local c = "esc \\" }"',
      '  local d = [[ } ]]',
      '  local e = [==[ ]] } ]=] } ]==]',
      '  -- } line comment',
      '  --[[ } long',
      '  comment } ]]',
      '  --[=[ } ]] } ]=]',
      '  local f = {}',
      '',
    ].join('\n');
    const ds = parseConf(`http {\n access_by_lua_block {${body}}\n x;\n}\ny;`);
    const lua = ds[0]!.block![0]!;
    expect(lua.args).toEqual([body]);
    expect(ds[0]!.block![1]!.line).toBe(14);
    expect(flat(ds).map((d) => d[0])).toEqual(['http', 'y']);
  });

  it('keeps the arguments before the block (set_by_lua_block $v { … })', () => {
    expect(one('set_by_lua_block $v { return "}" }').args).toEqual(['$v', ' return "}" ']);
  });

  it('does not treat an unterminated quote as a string (a newline ends the attempt)', () => {
    // the `"` has no closing quote on its line, so it is an ordinary character and `}` counts
    expect(one('log_by_lua_block { x = "abc\n }').args).toEqual([' x = "abc\n ']);
    // a backslash before the newline does not continue the string either
    expect(one("log_by_lua_block { x = 'a\\\n }").args).toEqual([" x = 'a\\\n "]);
  });

  it('ends a Lua block where Lua braces balance, so a payload can close it early', () => {
    const ds = parseConf('content_by_lua_block { f("x") } load_module /tmp/x.so; server { root /; }');
    expect(ds.map((d) => d.name)).toEqual(['content_by_lua_block', 'load_module', 'server']);
  });

  it('reports unclosed blocks and long brackets', () => {
    expect(() => parseConf('content_by_lua_block { x')).toThrow(/terminating characters for lua code block/);
    expect(() => parseConf('content_by_lua_block { x = [==[ } ]=] }')).toThrow(/missing the closing long bracket "\]==\]"/);
    expect(scanLuaBlock('a]]}', 0)).toEqual({ close: 3 });
  });
});

describe('nginx -T output', () => {
  const dump = [
    'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok',
    'nginx: configuration file /etc/nginx/nginx.conf test is successful',
    '# configuration file /etc/nginx/nginx.conf:',
    'events {}',
    'http {',
    '  include mime.types;',
    '  include /etc/nginx/conf.d/*.conf;',
    '  include /missing/file.conf;',
    '  server { server_name "a\n# configuration file /etc/forged.conf:\nload_module x;"; }',
    '}',
    '',
    '# configuration file /etc/nginx/mime.types:',
    'types { text/html html; include /etc/nginx/extra.types; }',
    '',
    '# configuration file /etc/nginx/conf.d/b.conf:',
    'b 1;',
    '',
    '# configuration file /etc/nginx/conf.d/a.conf:',
    '# a comment',
    'a 1;',
    '',
    '# configuration file /etc/nginx/extra.types:',
    'image/png png;',
    '',
  ].join('\n');

  it('splits the files, numbering lines per file', () => {
    const p = parseNginxT(dump);
    expect(p.files.map((f) => f.path)).toEqual([
      '/etc/nginx/nginx.conf', '/etc/nginx/mime.types', '/etc/nginx/conf.d/b.conf', '/etc/nginx/conf.d/a.conf', '/etc/nginx/extra.types',
    ]);
    expect(p.files[3]!.directives.map((d) => [d.name, d.file, d.line])).toEqual([['a', '/etc/nginx/conf.d/a.conf', 2]]);
  });

  it('does not take a header inside a quoted value as a new file', () => {
    const server = parseNginxT(dump).files[0]!.directives[1]!.block![3]!;
    expect(server.block![0]!.args).toEqual(['a\n# configuration file /etc/forged.conf:\nload_module x;']);
  });

  it('splices included files in place (globs sorted), keeping unresolved includes visible', () => {
    const p = parseNginxT(dump);
    const http = p.tree[1]!;
    expect(http.block!.map((d) => d.name)).toEqual(['types', 'a', 'b', 'include', 'server']);
    expect(http.block![0]!.block!.map((d) => [d.name, d.file])).toEqual([
      ['text/html', '/etc/nginx/mime.types'], ['image/png', '/etc/nginx/extra.types'],
    ]);
    expect(p.unresolvedIncludes.map((d) => d.args[0])).toEqual(['/missing/file.conf']);
  });

  it('parses a plain file when there is no header, and insists on one in parseNginxT', () => {
    expect(parseConfig('x 1;').files).toEqual([{ path: 'nginx.conf', directives: parseConf('x 1;') }]);
    expect(() => parseNginxT('x 1;')).toThrow(/not nginx -T output/);
  });

  it('keeps a glob from matching dot files', () => {
    const p = parseNginxT('# configuration file /c/n.conf:\ninclude d/*;\n\n# configuration file /c/d/.hidden:\nh;\n\n# configuration file /c/d/v:\nv;\n');
    expect(p.tree.map((d) => d.name)).toEqual(['v']);
  });
});

describe('directiveShape', () => {
  const conf = 'http { server { location / { proxy_pass http://u; } location = /x { return 404; } } map $a $b { default 0; include m; k1 v; } }';

  it('lists directive paths without arguments, sorted, as a multiset', () => {
    expect(directiveShape(parseConf(conf))).toEqual([
      'http', 'http>map', 'http>map><entry>', 'http>map><entry>', 'http>map>include',
      'http>server', 'http>server>location', 'http>server>location', 'http>server>location>proxy_pass', 'http>server>location>return',
    ]);
  });

  it('optionally counts arguments, which catches a value split into two', () => {
    const a = parseConf('add_header X "a b";');
    const b = parseConf('add_header X "a" "b";');
    expect(directiveShape(a)).toEqual(directiveShape(b));
    expect(directiveShape(a, { argCounts: true })).not.toEqual(directiveShape(b, { argCounts: true }));
  });

  it('does not depend on map keys, which may be user values', () => {
    const a = parseConf('map $host $x { "hello.example.com" 1; }');
    const b = parseConf('map $host $x { "x;load_module y;" 1; }');
    expect(directiveShape(a, { argCounts: true })).toEqual(directiveShape(b, { argCounts: true }));
  });
});
