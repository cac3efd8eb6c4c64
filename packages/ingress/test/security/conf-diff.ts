// Comparing two rendered configurations the way the security proof needs: which directive paths
// one has that the other lacks (a hostile value must add none beyond what its benign twin adds),
// and where a value ended up (it must stay inside one quoted argument).
import { directiveShape, parseConfig, walkShape, type Directive, type ParsedConfig, type Quote, type ShapeOptions } from '../../src/nginx/conf-parse.js';

/** configuration text (a file or `nginx -T` output), a parse result, or a tree */
export type ConfInput = string | ParsedConfig | readonly Directive[];

export function treeOf(c: ConfInput): readonly Directive[] {
  if (typeof c === 'string') return parseConfig(c).tree;
  return 'tree' in c ? c.tree : c;
}

export interface ShapeChange {
  /** shape path, e.g. `http>server>location(2)>load_module(1)` */
  path: string;
  /** how many more (added) or fewer (removed) times it occurs */
  count: number;
  /** `file:line` of every directive with that path on the side that has more */
  at: string[];
}

/** counts by default: a value split into two arguments is as much a breakout as a new directive */
const DEFAULT_SHAPE: ShapeOptions = { argCounts: true };

function countPaths(tree: readonly Directive[], opts: ShapeOptions): Map<string, string[]> {
  const m = new Map<string, string[]>();
  walkShape(tree, (path, d) => m.set(path, [...(m.get(path) ?? []), `${d.file}:${d.line}`]), opts);
  return m;
}

function excess(more: Map<string, string[]>, less: Map<string, string[]>): ShapeChange[] {
  const out: ShapeChange[] = [];
  for (const [path, at] of more) {
    const n = at.length - (less.get(path)?.length ?? 0);
    if (n > 0) out.push({ path, count: n, at });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** What candidate has beyond baseline, and baseline beyond candidate, as shape paths. */
export function shapeDiff(baseline: ConfInput, candidate: ConfInput, opts: ShapeOptions = DEFAULT_SHAPE): { added: ShapeChange[]; removed: ShapeChange[] } {
  const b = countPaths(treeOf(baseline), opts);
  const c = countPaths(treeOf(candidate), opts);
  return { added: excess(c, b), removed: excess(b, c) };
}

/**
 * Directive paths the candidate has beyond the baseline. Render the same Ingress twice — with the
 * hostile value and with a benign value of the same kind — and require this to be empty (and
 * `shapeDiff(…).removed` too): the feature's own directives then cancel out, whatever they are.
 */
export function addedDirectives(baseline: ConfInput, candidate: ConfInput, opts: ShapeOptions = DEFAULT_SHAPE): ShapeChange[] {
  return shapeDiff(baseline, candidate, opts).added;
}

export function sameShape(a: ConfInput, b: ConfInput, opts: ShapeOptions = DEFAULT_SHAPE): boolean {
  const x = directiveShape(treeOf(a), opts);
  const y = directiveShape(treeOf(b), opts);
  return x.length === y.length && x.every((p, i) => p === y[i]);
}

export interface Occurrence {
  /** shape path of the directive (no argument counts) */
  path: string;
  file: string;
  line: number;
  /** argument index, or -1 when the needle is in the directive's name */
  index: number;
  quote: Quote;
  /** the whole token the needle was found in */
  token: string;
}

/** Every token (directive names included) containing `needle`, after nginx's escape processing. */
export function valuesInArgs(tree: ConfInput, needle: string): Occurrence[] {
  const out: Occurrence[] = [];
  if (needle === '') return out;
  walkShape(treeOf(tree), (path, d) => {
    if (d.name.includes(needle)) out.push({ path, file: d.file, line: d.line, index: -1, quote: d.nameQuote, token: d.name });
    d.args.forEach((a, i) => {
      if (a.includes(needle)) out.push({ path, file: d.file, line: d.line, index: i, quote: d.argQuotes[i]!, token: a });
    });
  });
  return out;
}

/**
 * Confined: the value sits inside one quoted argument. Not a directive name, not a bare token
 * (a bare token is one escaping mistake from splitting), not Lua source (code, not data).
 */
export function isConfined(o: Occurrence): boolean {
  return o.index >= 0 && (o.quote === 'double' || o.quote === 'single');
}

/** hostile occurrences not matched by one at the same place in the twin (a short needle may occur there too) */
export function newOccurrences(hostile: Occurrence[], twin: Occurrence[]): Occurrence[] {
  const key = (o: Occurrence) => `${o.path}#${o.index}#${o.quote}`;
  const seen = new Map<string, number>();
  for (const o of twin) seen.set(key(o), (seen.get(key(o)) ?? 0) + 1);
  return hostile.filter((o) => {
    const n = seen.get(key(o)) ?? 0;
    if (n > 0) seen.set(key(o), n - 1);
    return n === 0;
  });
}
