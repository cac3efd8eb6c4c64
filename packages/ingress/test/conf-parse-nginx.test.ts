// The parser against the real nginx (Debian's 1.22 with the lua module, which the controller runs):
// `nginx -T` output parses to the same trees as the files it printed; nginx and the parser agree on
// which texts are syntax errors; and the values nginx actually serves (`return 200 <token>`) are
// the argument values the parser reports, escapes and all. (Each syntax case is otherwise valid
// nginx, so a failing `nginx -t` can only mean a syntax error.) nginx runs from a temp prefix on a
// loopback port and is stopped by its own pid file.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConf, parseNginxT, type Directive } from '../src/nginx/conf-parse.js';

const run = promisify(execFile);
const NGINX = '/usr/sbin/nginx';
const MODULES = 'load_module /usr/lib/nginx/modules/ndk_http_module.so;\nload_module /usr/lib/nginx/modules/ngx_http_lua_module.so;\n';

let dir = '';
let port = 0;

/** a whole nginx.conf around some location-level text */
const conf = (locations: string, httpExtra = '') => `${MODULES}pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;${httpExtra}
  server {
    listen 127.0.0.1:${port};
${locations}
  }
}
`;

async function nginx(args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const r = await run(NGINX, ['-p', `${dir}/`, '-c', `${dir}/nginx.conf`, ...args], { maxBuffer: 64 << 20 });
    return { ok: true, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return p;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'svclab-confparse-'));
  port = await freePort();
});

afterAll(async () => {
  const pid = await readFile(`${dir}/nginx.pid`, 'utf8').catch(() => '');
  if (pid.trim()) process.kill(Number(pid.trim()), 'SIGQUIT');
  await rm(dir, { recursive: true, force: true });
});

describe('nginx -T output', () => {
  it('parses to the same directives as each printed file', async () => {
    await mkdir(`${dir}/conf.d`, { recursive: true });
    await writeFile(`${dir}/conf.d/a.conf`, '# a\nmap $host $m { default 0; "hello.example.com" 1; }\n');
    // no trailing newline: nginx -T adds one, and the parser must not lose the directive
    await writeFile(`${dir}/conf.d/b.conf`, 'server_names_hash_bucket_size 64;');
    // a quoted value holding a forged section header
    await writeFile(`${dir}/nginx.conf`, conf(`
    location = "/a\\"b;c{d}" { add_header X-A "x\n# configuration file /etc/forged:\nload_module y;" always; return 204; }
    location / { content_by_lua_block { local s = "}" -- }
      ngx.say(s) } }`, '\n  include conf.d/*.conf;'));
    const r = await nginx(['-T']);
    expect(r.ok, r.stderr).toBe(true);
    const p = parseNginxT(r.stdout);
    expect(p.files.map((f) => f.path)).toEqual([`${dir}/nginx.conf`, `${dir}/conf.d/a.conf`, `${dir}/conf.d/b.conf`]);
    for (const f of p.files) expect(f.directives).toEqual(parseConf(await readFile(f.path, 'utf8'), f.path));
    const http = p.tree.find((d) => d.name === 'http')!;
    expect(http.block!.map((d) => d.name)).toEqual(['access_log', 'map', 'server_names_hash_bucket_size', 'server']);
    const server = http.block![3]!;
    expect(server.block![1]!.args).toEqual(['=', '/a"b;c{d}']);
    expect(server.block![1]!.block![0]!.args[1]).toBe('x\n# configuration file /etc/forged:\nload_module y;');
    expect(server.block![2]!.block![0]!.args).toEqual([' local s = "}" -- }\n      ngx.say(s) ']);
  });
});

describe('syntax errors: nginx and the parser agree', () => {
  const cases = [
    'return 200 "ab" ;',
    'return 200 "a""b";',
    'return 200 "a"b;',
    "return 200 'x;",
    'return 200 x}',
    'return 200 x };',
    'return 200 a#b;',
    'return 200 #c\n ok;',
    'if ($uri = "a") { return 403; }',
    'if ($uri ~ "^/a{2}$") { return 403; }',
    'return 200 "a\\"; return 200 b";',
    'return 200 a\\;b;',
    'return 200 a ;;',
    'content_by_lua_block { local x = "}" }',
    'content_by_lua_block { local x = [==[ } ]=] }',
    'content_by_lua_block { local x = [==[ } ]==] }',
    'content_by_lua_block { local x = "a\n }',
    'content_by_lua_block { --[[ } ]] }',
    'content_by_lua_block { -- }\n }',
    'content_by_lua_block { } }',
    'content_by_lua_block { ngx.say("x") } return 200 y;',
    // nginx's 4 KiB token limit, counted in bytes from the token's start (after an opening quote)
    `return 200 "${'a'.repeat(4094)}";`,
    `return 200 "${'a'.repeat(4095)}";`,
    `return 200 ${'a'.repeat(4095)};`,
    `return 200 ${'a'.repeat(4096)};`,
    `return 200 "${'é'.repeat(2047)}";`,
    `return 200 "${'é'.repeat(2048)}";`,
    `return 200 "${'😀'.repeat(1023)}aa";`,
    `return 200 "${'😀'.repeat(1023)}aaa";`,
    `# ${'c'.repeat(4100)}\nreturn 200 x;`,
  ];
  it.each(cases.map((c, i) => [i, c]))('case %i: %j', async (i, text) => {
    const full = conf(`    location = /c${i} { ${text} }`);
    await writeFile(`${dir}/nginx.conf`, full);
    const r = await nginx(['-t']);
    let ours: string | undefined;
    try {
      parseConf(full);
    } catch (e) {
      ours = (e as Error).message;
    }
    expect(ours === undefined, `nginx: ${r.stderr.trim()}\nparser: ${ours ?? 'ok'}`).toBe(r.ok);
  });

  it('on random texts: same syntax error (message and line), or both accept', async () => {
    const atoms = [' ', ' ', ';', '{', '}', '"', "'", '\\', '$', '${', '#', '\n', '\r', 'a', 'x', '(', ')', 'é', '😀',
      'include', 'content_by_lua_block {', '--', '[[', ']]', '[=[', ']=]', 'set', 'if', 'a'.repeat(1500), '€'.repeat(700)];
    let seed = 20_251_121;
    const rnd = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return Math.floor((seed / 2_147_483_648) * n);
    };
    let compared = 0;
    for (let n = 0; n < 150; n++) {
      const text = Array.from({ length: 1 + rnd(12) }, () => atoms[rnd(atoms.length)]).join('');
      const full = conf(`    location = /f { ${text}\n }`);
      await writeFile(`${dir}/nginx.conf`, full);
      const r = await nginx(['-t']);
      const emerg = /\[emerg\] \d+#\d+: (.*)/.exec(r.stderr)?.[1] ?? '';
      // nginx stops at the first error; past an "unknown directive" it never saw the rest
      if (!r.ok && !/unexpected|too long|terminating|long bracket/.test(emerg)) continue;
      let ours = '';
      try {
        parseConf(full, `${dir}/nginx.conf`);
      } catch (e) {
        ours = (e as Error).message;
      }
      expect(ours, JSON.stringify(text)).toBe(emerg.replace(', the inlined Lua code may be too long', ''));
      compared++;
    }
    expect(compared).toBeGreaterThan(75);
  });
});

describe('served values equal parsed argument values', () => {
  const tokens = [
    '"a;b{c}d # e"',
    `'s "q" \\' e'`,
    '"esc \\" \\\\ tab\\t|cr\\r|lf\\n|"',
    'a"b',
    'a}b#c',
    '"\\d\\x\\{"',
    '"multi\nline"',
    'a\\ b',
    '"nul\u0000byte"',
    '"％0a；＂｛"',
    '"%0a%7b%3b"',
    '"`id`"',
  ];
  const luaBodies = [
    ' local s = "} {" local t = [==[ } ]] ]==] ngx.print(s .. t) ',
    " -- } {\n ngx.print('a\\'}') ",
    ' --[[ } ]] ngx.print([[x]]) ',
    " local q = '\"' ngx.print(q) ",
  ];

  it('for return texts and Lua blocks', async () => {
    const locs = [
      ...tokens.map((t, i) => `    location = /t${i} { return 200 ${t}; }`),
      ...luaBodies.map((b, i) => `    location = /l${i} { content_by_lua_block {${b}} add_header X-After yes always; }`),
    ];
    await writeFile(`${dir}/nginx.conf`, conf(locs.join('\n')));
    const start = await nginx([]);
    expect(start.ok, start.stderr).toBe(true);

    const server = parseConf(conf(locs.join('\n'))).find((d) => d.name === 'http')!.block![1]!;
    const loc = (path: string): Directive => server.block!.find((d) => d.args[1] === path)!;
    for (let i = 0; i < tokens.length; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/t${i}`);
      expect(await res.text(), tokens[i]).toBe(loc(`/t${i}`).block![0]!.args[1]);
    }
    const expected = ['} { } ]] ', "a'}", 'x', '"'];
    for (let i = 0; i < luaBodies.length; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/l${i}`);
      expect([await res.text(), res.headers.get('x-after')]).toEqual([expected[i], 'yes']);
      const [lua, after] = loc(`/l${i}`).block!;
      expect([lua!.args, after!.name]).toEqual([[luaBodies[i]], 'add_header']);
    }
  });
});
