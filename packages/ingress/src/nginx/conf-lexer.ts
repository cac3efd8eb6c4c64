// nginx's configuration tokenizer, ported state for state from ngx_conf_read_token()
// (src/core/ngx_conf_file.c, nginx 1.22). The security proof compares what nginx will *see*, so
// this must split text exactly where nginx splits it: a token only ends on whitespace, `;` or `{`
// (a `}` or `#` counts only where a token would start), quotes open only at the start of a token,
// a backslash hides the next character, and `${` does not open a block.
import { scanLuaBlock } from './lua-block.js';

/** how a token was written: bare, "double" or 'single' quoted, or a raw `*_by_lua_block` body */
export type Quote = 'none' | 'double' | 'single' | 'lua';

export interface Word {
  /** the token's value after nginx's escape processing (`\"`, `\'`, `\\`, `\t`, `\r`, `\n`) */
  value: string;
  quote: Quote;
  /** line the token starts on (1-based, within its file) */
  line: number;
}

/** what one call of the lexer ends on, as ngx_conf_read_token's return codes */
export type LexEvent =
  | { kind: 'end'; words: Word[] } // NGX_OK: a `;`
  | { kind: 'block'; words: Word[] } // NGX_CONF_BLOCK_START: a `{`
  | { kind: 'close'; line: number } // NGX_CONF_BLOCK_DONE: a `}`
  | { kind: 'eof' }; // NGX_CONF_FILE_DONE (or the next `nginx -T` section header, see next())

export class ConfParseError extends Error {
  constructor(message: string, readonly file: string, readonly line: number) {
    super(`${message} in ${file}:${line}`);
    this.name = 'ConfParseError';
  }
}

/** `nginx -T` writes `# configuration file <path>:` before each file it read */
export const DUMP_HEADER = /^# configuration file (.+):$/;

const isSpace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';

/**
 * NGX_CONF_BUFFER: nginx reads configuration through a 4 KiB buffer and refuses a token (counted
 * in bytes from where it starts, a comment included) that does not fit, when more file follows.
 */
export const NGX_CONF_BUFFER = 4096;

export class ConfLexer {
  pos: number;
  line = 1;
  /** UTF-8 offset of each UTF-16 index (nginx counts bytes); absent while the text is ASCII */
  private readonly byteAt?: Uint32Array;

  constructor(readonly text: string, readonly file: string, start = 0, readonly end = text.length) {
    this.pos = start;
    if (/[^\u0000-\u007f]/.test(text)) this.byteAt = utf8Offsets(text);
  }

  private bytes(i: number): number {
    return this.byteAt ? this.byteAt[i]! : i;
  }

  error(message: string, line = this.line): ConfParseError {
    return new ConfParseError(message, this.file, line);
  }

  /**
   * Reads the next directive's words. With `stopAtHeader`, a `# configuration file …:` line where a
   * directive could start is taken as the end of this file (nginx -T's next section) instead of a
   * comment; the caller only asks for that at the file's top level, outside any block, so a header
   * forged inside a quoted value or a block can never end a file early.
   */
  next(stopAtHeader = false): LexEvent {
    const { text } = this;
    const words: Word[] = [];
    let lastSpace = true;
    let needSpace = false;
    let sharpComment = false;
    let quoted = false;
    let dQuoted = false;
    let sQuoted = false;
    let variable = false;
    let start = this.pos;
    let startLine = this.line;
    let wordQuote: Quote = 'none';

    for (;;) {
      if (this.pos >= this.end) {
        if (words.length > 0 || !lastSpace) throw this.error('unexpected end of file, expecting ";" or "}"');
        return { kind: 'eof' };
      }
      // nginx's check runs when its buffer runs dry, which for a token is exactly 4096 bytes past
      // its start (or mid-character, if a multi-byte one straddles that point)
      if (this.bytes(this.pos + 1) - this.bytes(start) > NGX_CONF_BUFFER) {
        if (dQuoted || sQuoted) throw this.error(`too long parameter, probably missing terminating "${dQuoted ? '"' : "'"}" character`, startLine);
        throw this.error(`too long parameter "${firstBytes(text.slice(start, start + 10), 10)}..." started`, startLine);
      }
      const ch = text[this.pos++]!;

      if (ch === '\n') {
        this.line++;
        sharpComment = false;
      }
      if (sharpComment) continue;
      if (quoted) {
        quoted = false;
        continue;
      }

      if (needSpace) {
        if (isSpace(ch)) {
          lastSpace = true;
          needSpace = false;
          continue;
        }
        if (ch === ';') return { kind: 'end', words };
        if (ch === '{') return { kind: 'block', words };
        // `if ($a = "b")`: nginx lets a `)` follow a closing quote and makes it a token of its own
        if (ch !== ')') throw this.error(`unexpected "${firstBytes(ch + (text[this.pos] ?? ''), 1)}"`);
        lastSpace = true;
        needSpace = false;
      }

      if (lastSpace) {
        start = this.pos - 1;
        startLine = this.line;
        wordQuote = 'none';
        if (isSpace(ch)) continue;
        switch (ch) {
          case ';':
          case '{':
            if (words.length === 0) throw this.error(`unexpected "${ch}"`);
            return { kind: ch === '{' ? 'block' : 'end', words };
          case '}':
            if (words.length !== 0) throw this.error('unexpected "}"');
            return { kind: 'close', line: this.line };
          case '#':
            if (stopAtHeader && words.length === 0 && this.atDumpHeader(start)) {
              this.pos = start;
              return { kind: 'eof' };
            }
            sharpComment = true;
            continue;
          case '\\':
            quoted = true;
            lastSpace = false;
            continue;
          case '"':
            start++;
            dQuoted = true;
            wordQuote = 'double';
            lastSpace = false;
            continue;
          case "'":
            start++;
            sQuoted = true;
            wordQuote = 'single';
            lastSpace = false;
            continue;
          case '$':
            variable = true;
            lastSpace = false;
            continue;
          default:
            lastSpace = false;
        }
        continue;
      }

      if (ch === '{' && variable) continue;
      variable = false;
      if (ch === '\\') {
        quoted = true;
        continue;
      }
      if (ch === '$') {
        variable = true;
        continue;
      }

      let found = false;
      if (dQuoted) {
        if (ch === '"') {
          dQuoted = false;
          needSpace = true;
          found = true;
        }
      } else if (sQuoted) {
        if (ch === "'") {
          sQuoted = false;
          needSpace = true;
          found = true;
        }
      } else if (isSpace(ch) || ch === ';' || ch === '{') {
        lastSpace = true;
        found = true;
      }

      if (found) {
        words.push({ value: unescape(text, start, this.pos - 1), quote: wordQuote, line: startLine });
        if (ch === ';') return { kind: 'end', words };
        if (ch === '{') return { kind: 'block', words };
      }
    }
  }

  /**
   * Reads a `*_by_lua_block` body: called right after the lexer returned the block's `{`. Returns
   * the raw Lua text up to (not including) the matching `}`, which the lua module hands to Lua as
   * one value; nginx's own tokenizer never sees it.
   */
  luaBlock(): Word {
    const line = this.line;
    const r = scanLuaBlock(this.text, this.pos, this.end);
    if ('error' in r) throw this.error(r.error, line + countNewlines(this.text, this.pos, r.at));
    const body = this.text.slice(this.pos, r.close);
    this.line += countNewlines(this.text, this.pos, r.close + 1);
    this.pos = r.close + 1;
    return { value: body, quote: 'lua', line };
  }

  /** a dump header sits at a line start (nginx -T always ends the previous file with a newline) */
  private atDumpHeader(at: number): boolean {
    if (at > 0 && this.text[at - 1] !== '\n') return false;
    const eol = this.text.indexOf('\n', at);
    return DUMP_HEADER.test(this.text.slice(at, eol < 0 ? this.end : eol));
  }
}

/** ngx_conf_read_token's copy loop: only these escapes are processed; any other `\x` stays as is */
function unescape(text: string, from: number, to: number): string {
  const raw = text.slice(from, to);
  if (!raw.includes('\\')) return raw;
  let out = '';
  let i = from;
  while (i < to) {
    if (text[i] === '\\') {
      const n = text[i + 1];
      if (n === '"' || n === "'" || n === '\\') i++;
      else if (n === 't' || n === 'r' || n === 'n') {
        out += n === 't' ? '\t' : n === 'r' ? '\r' : '\n';
        i += 2;
        continue;
      }
    }
    out += text[i];
    i++;
  }
  return out;
}

/** nginx prints raw bytes in messages; decoded, a cut multi-byte character reads as U+FFFD */
function firstBytes(s: string, n: number): string {
  return Buffer.from(s, 'utf8').subarray(0, n).toString('utf8');
}

/** one `nginx -T` output makes one lexer per file over the same text: compute its offsets once */
let lastOffsets: { text: string; at: Uint32Array } | undefined;

function utf8Offsets(text: string): Uint32Array {
  if (lastOffsets?.text === text) return lastOffsets.at;
  const at = new Uint32Array(text.length + 1);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // a surrogate pair is 4 bytes, 2 per half; a lone surrogate is written as U+FFFD (3 bytes)
    const pair = (c & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const lowOfPair = (c & 0xfc00) === 0xdc00 && i > 0 && (text.charCodeAt(i - 1) & 0xfc00) === 0xd800;
    at[i + 1] = at[i]! + (c < 0x80 ? 1 : c < 0x800 ? 2 : pair || lowOfPair ? 2 : 3);
  }
  lastOffsets = { text, at };
  return at;
}

export function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
