// nginx configuration text → directive tree, as nginx itself reads it. Used by the security proof
// (a hostile Ingress must never add a directive) and by anything that inspects `nginx -T` output.
// Tokenizing is ConfLexer's job (a port of ngx_conf_read_token); this file builds the tree, splits
// `nginx -T` output into its files and splices `include`d files into the main tree.
import { posix } from 'node:path';
import { ConfLexer, ConfParseError, DUMP_HEADER, type Quote } from './conf-lexer.js';

export { ConfParseError, type Quote } from './conf-lexer.js';
export { directiveShape, walkShape, type ShapeOptions } from './conf-shape.js';

export interface Directive {
  name: string;
  /** arguments after escape processing; a `*_by_lua_block` body is its last argument, verbatim */
  args: string[];
  /** the `{ … }` children; absent for a `;` directive and for Lua blocks (their body is an argument) */
  block?: Directive[];
  file: string;
  /** line of the directive's name */
  line: number;
  nameQuote: Quote;
  /** per argument: bare, quoted, or the opaque Lua body */
  argQuotes: Quote[];
}

export interface ConfFile {
  path: string;
  directives: Directive[];
}

export interface ParsedConfig {
  /** every file, in the order nginx -T printed them (the main file first) */
  files: ConfFile[];
  /** the main file with every resolvable `include` replaced by the included files' directives */
  tree: Directive[];
  /** `include`s naming no printed file: left in `tree` as directives, so they stay visible */
  unresolvedIncludes: Directive[];
}

/** lua-nginx-module's block directives (content_by_lua_block, set_by_lua_block $v, …) */
const LUA_BLOCK = /_by_lua_block$/;

/** Parses the text of one configuration file. */
export function parseConf(text: string, file = 'nginx.conf'): Directive[] {
  return parseBlock(new ConfLexer(text, file), 0, false);
}

/**
 * Parses `nginx -T` output (stdout; leading `nginx: …` status lines are tolerated) or, if it has no
 * `# configuration file` header, a single configuration file named `file`.
 */
export function parseConfig(text: string, file = 'nginx.conf'): ParsedConfig {
  const first = firstHeader(text);
  const files = first < 0 ? [{ path: file, directives: parseConf(text, file) }] : parseDumpFrom(text, first);
  const unresolvedIncludes: Directive[] = [];
  const tree = expandIncludes(files[0]!.directives, files, unresolvedIncludes, 0);
  return { files, tree, unresolvedIncludes };
}

/** Parses `nginx -T` output; throws if it has no `# configuration file` header. */
export function parseNginxT(output: string): ParsedConfig {
  if (firstHeader(output) < 0) throw new ConfParseError('no "# configuration file" header: not nginx -T output', '<nginx -T>', 1);
  return parseConfig(output);
}

function parseBlock(lx: ConfLexer, depth: number, stopAtHeader: boolean): Directive[] {
  const out: Directive[] = [];
  for (;;) {
    const ev = lx.next(stopAtHeader && depth === 0);
    if (ev.kind === 'eof') {
      if (depth > 0) throw lx.error('unexpected end of file, expecting "}"');
      return out;
    }
    if (ev.kind === 'close') {
      if (depth === 0) throw lx.error('unexpected "}"', ev.line);
      return out;
    }
    const [head, ...rest] = ev.words;
    const d: Directive = {
      name: head!.value, args: rest.map((w) => w.value), file: lx.file, line: head!.line,
      nameQuote: head!.quote, argQuotes: rest.map((w) => w.quote),
    };
    if (ev.kind === 'block') {
      if (LUA_BLOCK.test(d.name)) {
        const body = lx.luaBlock();
        d.args.push(body.value);
        d.argQuotes.push(body.quote);
      } else d.block = parseBlock(lx, depth + 1, stopAtHeader);
    }
    out.push(d);
  }
}

/** offset of the first `# configuration file …:` line, or -1 */
function firstHeader(text: string): number {
  for (let at = 0; at < text.length;) {
    const eol = text.indexOf('\n', at);
    const line = text.slice(at, eol < 0 ? text.length : eol);
    if (DUMP_HEADER.test(line)) return at;
    // before the first header only nginx's own status lines (stderr, if the caller merged it) may appear
    if (!line.startsWith('nginx: ') && line.trim() !== '') return -1;
    if (eol < 0) return -1;
    at = eol + 1;
  }
  return -1;
}

/**
 * nginx -T prints, per file: the header line, the file's bytes, then one newline. A file ends
 * where the lexer, between top-level directives, meets the next header (see ConfLexer.next).
 */
function parseDumpFrom(text: string, at: number): ConfFile[] {
  const files: ConfFile[] = [];
  while (at < text.length) {
    const eol = text.indexOf('\n', at);
    const path = DUMP_HEADER.exec(text.slice(at, eol < 0 ? text.length : eol))![1]!;
    const lx = new ConfLexer(text, path, eol < 0 ? text.length : eol + 1);
    files.push({ path, directives: parseBlock(lx, 0, true) });
    at = lx.pos;
  }
  return files;
}

function expandIncludes(ds: Directive[], files: ConfFile[], unresolved: Directive[], depth: number): Directive[] {
  const out: Directive[] = [];
  for (const d of ds) {
    if (d.name === 'include' && d.args.length === 1 && depth < 32) {
      const targets = includeTargets(d.args[0]!, files);
      if (targets.length > 0) {
        for (const f of targets) out.push(...expandIncludes(f.directives, files, unresolved, depth + 1));
        continue;
      }
      unresolved.push(d);
    }
    out.push(d.block ? { ...d, block: expandIncludes(d.block, files, unresolved, depth) } : d);
  }
  return out;
}

/**
 * The printed files an `include` names: relative paths are relative to the main file's directory
 * (nginx's conf prefix); `*`, `?` and `[…]` make it a glob, whose matches nginx reads in sorted order.
 */
function includeTargets(arg: string, files: ConfFile[]): ConfFile[] {
  const main = files[0]!.path;
  const full = posix.isAbsolute(arg) ? arg : posix.join(posix.dirname(main), arg);
  if (!/[*?[]/.test(arg)) return files.filter((f) => f.path === full).slice(0, 1);
  const re = globToRegExp(full);
  return files.filter((f) => re.test(f.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    // glob(3) never lets a wildcard match the leading dot of a name
    const segmentStart = i === 0 || glob[i - 1] === '/';
    if (c === '*') re += segmentStart ? '(?!\\.)[^/]*' : '[^/]*';
    else if (c === '?') re += segmentStart ? '[^/.]' : '[^/]';
    else if (c === '[' && glob.indexOf(']', i + 2) > 0) {
      const close = glob.indexOf(']', i + 2);
      re += `[${glob.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
