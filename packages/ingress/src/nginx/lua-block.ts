// Where a `*_by_lua_block { … }` body ends. lua-nginx-module does not let nginx tokenize the body:
// ngx_http_lua_conf_lua_block_parse() runs its own lexer (ngx_http_lua_lex, a generated DFA) that
// finds, leftmost first, one of: `{`, `}`, a long bracket `[==[`, a long comment `--[==[`, a
// closing `]==]`, a line comment `--…`, a "double" or 'single' quoted string. Braces count
// nesting; everything else only matters because braces inside it do not count. This is our own
// scanner with the same rules (written from that description, not translated from the C):
//   - a quoted string may hold `\x` escapes but no raw newline, and `\` + newline does not continue
//     it: an unterminated string is not a string, its quote is an ordinary character;
//   - `--[[` (or `--[=[`…) is a long comment, not a line comment (first alternative wins);
//   - a long bracket must be closed by `]` + the same number of `=` + `]`, or the block is an error.
// Not modelled: the module lexes inside nginx's 4 KiB configuration buffer, so a Lua string or
// long bracket of more than about 1.3-4 KiB can be scanned differently (or refused) by nginx.
// The security check treats any hostile value inside Lua code as a failure, so this never decides
// a verdict; it only matters for the controller's own, short, Lua blocks.

export type LuaScan = { close: number } | { error: string; at: number };

const LONG_OPEN = /\[(=*)\[/y;
const DQ_STRING = /"(?:[^"\\\n]|\\[^\n])*"/y;
const SQ_STRING = /'(?:[^'\\\n]|\\[^\n])*'/y;

/**
 * Scans from `from` (just after the block's `{`) to the `}` that closes it. Returns the index of
 * that `}`, or the error lua-nginx-module would report.
 */
export function scanLuaBlock(text: string, from: number, end = text.length): LuaScan {
  let level = 1;
  let i = from;
  // nginx reports a missing end at the last `{` it saw (or the block's own)
  let lastOpen = from;
  while (i < end) {
    const ch = text[i]!;
    if (ch === '{') {
      level++;
      i++;
      lastOpen = i;
    } else if (ch === '}') {
      level--;
      if (level === 0) return { close: i };
      i++;
    } else if (ch === '-' && text[i + 1] === '-') {
      const long = longBracketAt(text, i + 2, end);
      if (long === undefined) {
        const eol = text.indexOf('\n', i);
        i = eol < 0 || eol >= end ? end : eol;
      } else if ('error' in long) return long;
      else i = long.next;
    } else if (ch === '[') {
      const long = longBracketAt(text, i, end);
      if (long === undefined) i++;
      else if ('error' in long) return long;
      else i = long.next;
    } else if (ch === '"' || ch === "'") {
      const re = ch === '"' ? DQ_STRING : SQ_STRING;
      re.lastIndex = i;
      const m = re.exec(text);
      i = m && i + m[0].length <= end ? i + m[0].length : i + 1;
    } else i++;
  }
  return { error: 'unexpected end of file, expecting terminating characters for lua code block', at: lastOpen };
}

/** a long bracket opening at `at` (`[`, n × `=`, `[`): where its text ends, or undefined if none opens there */
function longBracketAt(text: string, at: number, end: number): { next: number } | { error: string; at: number } | undefined {
  LONG_OPEN.lastIndex = at;
  const m = LONG_OPEN.exec(text);
  if (!m || m.index !== at || at + m[0].length > end) return undefined;
  const closer = `]${m[1]}]`;
  const close = text.indexOf(closer, at + m[0].length);
  if (close < 0 || close + closer.length > end) return { error: `Lua code block missing the closing long bracket "${closer}"`, at };
  return { next: close + closer.length };
}
