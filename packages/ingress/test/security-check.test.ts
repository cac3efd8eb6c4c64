// The verdict logic (check.ts) and the config comparison under it (conf-diff.ts), proven on two
// toy renderers: the safe one must pass every corpus entry, the unsafe one must be caught.
import { describe, expect, it } from 'vitest';
import { parseConf } from '../src/nginx/conf-parse.js';
import { checkHostileRender, type Render, type RenderResult, type Verdict } from './security/check.js';
import { addedDirectives, isConfined, newOccurrences, shapeDiff, valuesInArgs } from './security/conf-diff.js';
import { HOSTILE_INPUTS, entryById } from './security/hostile-inputs.js';
import { toyRender } from './security/toy-render.js';

describe('conf-diff', () => {
  const base = 'http { server { server_name "a"; location "/x" { proxy_pass http://u; } } }';

  it('names the directives a candidate adds, with where they are', () => {
    const cand = 'http { server { server_name "a";\nlocation "/x" { proxy_pass http://u; }\nload_module /tmp/x.so; } }';
    expect(addedDirectives(base, cand)).toEqual([{ path: 'http(0)>server(0)>load_module(1)', count: 1, at: ['nginx.conf:3'] }]);
    expect(shapeDiff(cand, base).removed).toEqual([{ path: 'http(0)>server(0)>load_module(1)', count: 1, at: ['nginx.conf:3'] }]);
  });

  it('cancels out the directives the benign twin has too (one more location is expected, not added)', () => {
    const twin = 'http { server { server_name "a"; location "/x" { proxy_pass http://u; } location "/benign" { proxy_pass http://u; } } }';
    const hostile = 'http { server { server_name "a"; location "/x" { proxy_pass http://u; } location "/b;load_module" { proxy_pass http://u; } } }';
    expect(addedDirectives(base, hostile)).toHaveLength(2);
    expect(addedDirectives(twin, hostile)).toEqual([]);
    expect(shapeDiff(twin, hostile).removed).toEqual([]);
  });

  it('counts arguments unless told not to', () => {
    expect(addedDirectives('x "a b";', 'x "a" "b";')).toHaveLength(1);
    expect(addedDirectives('x "a b";', 'x "a" "b";', {})).toEqual([]);
  });

  it('finds a value in names, bare, quoted and Lua tokens, and says which are confined', () => {
    const tree = parseConf('set $a "p;q"; p;q x; y \'p;q\'; content_by_lua_block { s = "p;q" }');
    const occ = valuesInArgs(tree, 'p;q');
    expect(occ.map((o) => [o.path, o.index, o.quote, isConfined(o)])).toEqual([
      ['set', 1, 'double', true],
      ['y', 0, 'single', true],
      ['content_by_lua_block', 0, 'lua', false],
    ]);
    expect(valuesInArgs(parseConf('server_name a;load_module /tmp/x.so;'), 'load_module')).toMatchObject([{ path: 'load_module', index: -1, quote: 'none' }]);
    expect(valuesInArgs(tree, '')).toEqual([]);
  });

  it('discounts occurrences the twin has at the same place', () => {
    const h = valuesInArgs(parseConf('a "x;"; b "x;";'), ';');
    const t = valuesInArgs(parseConf('a "y;";'), ';');
    expect(newOccurrences(h, t).map((o) => o.path)).toEqual(['b']);
  });
});

const safe: Render = (objects) => toyRender(objects, 'safe');
const unsafe: Render = (objects) => toyRender(objects, 'unsafe');
const failures = (v: Verdict) => (v.ok ? [] : v.problems);

describe('checkHostileRender', () => {
  it('passes every corpus entry against a renderer that validates, quotes and escapes', async () => {
    const cache = new Map<string, RenderResult>();
    const verdicts = await Promise.all(HOSTILE_INPUTS.map((e) => checkHostileRender(e, safe, { cache })));
    expect(verdicts.filter((v) => !v.ok)).toEqual([]);
    // both outcomes occur: refused values, and values the renderer used or dropped
    const outcomes = new Set(verdicts.map((v) => (v.ok && v.outcome === 'rendered' ? `rendered-${v.like}` : v.ok ? v.outcome : '')));
    expect([...outcomes].sort()).toEqual(['rejected', 'rendered-absent', 'rendered-benign']);
  });

  it('catches a renderer that pastes values in', async () => {
    const caught = async (id: string) => failures(await checkHostileRender(entryById(id), unsafe)).join('\n');
    // the pasted `;` leaves `;;` behind: nginx would refuse the file, which is no defence (CVE-2025-1974 needed only `nginx -t`)
    expect(await caught('rule.host/semicolon-load-module')).toMatch(/does not parse: unexpected ";"/);
    // `#` comments out the rest of the line: server_name swallows the next line and grows a block
    expect(await caught('rule.host/hash-comment')).toMatch(/added 1× http\(0\)>server\(0\)>server_name\(3\)/);
    expect(await caught('snippet.configuration-snippet/content-by-lua')).toMatch(/added 1× .*>location\(1\)>content_by_lua_block\(1\)/);
    expect(await caught('snippet.configuration-snippet/root-slash')).toMatch(/added 1× .*>root\(1\)/);
    expect(await caught('annotation.proxy-body-size/newline-braces')).toMatch(/does not parse|added/);
    expect(await caught('metadata.uid/cve-2025-1098')).toMatch(/does not parse|load_module/);
    // a value that breaks nothing but stays bare is still one escaping mistake away
    expect(await caught('rule.host/homograph')).toMatch(/a bare argument at http>server>server_name/);
    // an Ingress-level value that never reaches nginx.conf passes even here
    expect(await caught('metadata.label/semicolon-load-module')).toBe('');
  });

  it('catches the unsafe renderer on every breakout into the host, paths and UID', async () => {
    const breakouts = HOSTILE_INPUTS.filter((e) =>
      ['rule.host', 'path.Prefix', 'path.Exact', 'path.ImplementationSpecific', 'metadata.uid'].includes(e.where) && /[;{}]/.test(e.value));
    expect(breakouts.length).toBeGreaterThan(60);
    for (const e of breakouts) expect((await checkHostileRender(e, unsafe)).ok, e.id).toBe(false);
  });

  it('flags a quoted value that nginx still reads as a modifier', async () => {
    // quoting alone: `server_name "~^…"` is a regex and `location "=/x"` an exact match
    const quoteOnly: Render = (objects) => {
      const r = toyRender(objects, 'unsafe');
      return typeof r === 'string' ? r.replace(/server_name ([^;]*);/g, 'server_name "$1";').replace(/location ([^ {][^{]*) \{/g, 'location "$1" {') : r;
    };
    expect(failures(await checkHostileRender(entryById('rule.host/server-name-regex'), quoteOnly)).join()).toMatch(/reads as a modifier even when quoted/);
    expect(failures(await checkHostileRender(entryById('path.Prefix/modifier-exact'), quoteOnly)).join()).toMatch(/location's argument with "="/);
  });

  it('fails a value that is quoted but so long nginx refuses the whole file', async () => {
    const unbounded: Render = (objects) => toyRender(objects, 'safe', Infinity);
    expect(failures(await checkHostileRender(entryById('path.Prefix/long'), unbounded)).join()).toMatch(/does not parse: too long parameter/);
  });

  it('requires a one-line reason, a renderable twin, a non-empty twin, no NUL and no crash', async () => {
    const e = entryById('rule.host/semicolon-load-module');
    const reason = (r: string): Render => (objects) => (objects.some((o) => JSON.stringify(o).includes('load_module')) ? { ingress: { namespace: 'sec', name: 'hello' }, reason: r } : safe(objects));
    expect(await checkHostileRender(e, reason('invalid host "hello.example.com;load_module…"'))).toMatchObject({ ok: true, outcome: 'rejected' });
    expect(failures(await checkHostileRender(e, reason('bad\nhost'))).join()).toMatch(/one-line reason/);
    expect(failures(await checkHostileRender(e, reason(''))).join()).toMatch(/one-line reason/);
    const nothing: Render = () => 'events {}\nhttp { }\n';
    expect(failures(await checkHostileRender(e, nothing)).join()).toMatch(/renders the same as no Ingress/);
    const refuseAll: Render = (objects) => (objects.some((o) => o.kind === 'Ingress') ? { ingress: { namespace: 'sec', name: 'hello' }, reason: 'no' } : safe(objects));
    expect(await checkHostileRender(e, refuseAll)).toMatchObject({ ok: true, outcome: 'rejected' });
    const nul: Render = () => 'x "\u0000";';
    expect(failures(await checkHostileRender(e, nul)).join()).toMatch(/NUL byte/);
    const crash: Render = () => {
      throw new Error('boom');
    };
    expect(failures(await checkHostileRender(e, crash)).join()).toMatch(/render threw.*boom/);
  });

  it('names the benign twin when the shape differs from every twin', async () => {
    const v = await checkHostileRender(entryById('annotation.proxy-connect-timeout/semicolon-load-module'), unsafe);
    expect(failures(v)[0]).toMatch(/differs from every twin \(benign, absent, ignored\)/);
  });
});
