// A configuration's "shape": the multiset of directive paths (`http>server>location>proxy_pass`),
// argument values left out. Two renders of the same Ingress that differ only in a value must have
// the same shape; a value that grew a directive (or swallowed one) changes it.
import type { Directive } from './conf-parse.js';

export interface ShapeOptions {
  /**
   * Append each directive's argument count (`proxy_set_header(2)`): a value that splits into two
   * arguments (`"a" "b"` from an unescaped quote) adds no directive, but does change this.
   */
  argCounts?: boolean;
}

/**
 * Blocks whose children are data rows, not directives (`map $a $b { key value; }`): their first
 * token is a key that may come from user input, so a row's path is `<entry>` whatever its key.
 * `include` stays itself: nginx honours it inside these blocks too.
 */
const DATA_BLOCKS = new Set(['map', 'geo', 'types', 'split_clients', 'charset_map']);

/** Calls `visit` with each directive and its shape path, parents before children. */
export function walkShape(tree: readonly Directive[], visit: (path: string, d: Directive) => void, opts: ShapeOptions = {}): void {
  const walk = (ds: readonly Directive[], prefix: string, dataRows: boolean): void => {
    for (const d of ds) {
      const name = dataRows && d.name !== 'include' ? '<entry>' : d.name;
      const path = `${prefix}${name}${opts.argCounts ? `(${d.args.length})` : ''}`;
      visit(path, d);
      if (d.block) walk(d.block, `${path}>`, DATA_BLOCKS.has(d.name));
    }
  };
  walk(tree, '', false);
}

/** The sorted multiset of directive paths; compare two with `toEqual`. */
export function directiveShape(tree: readonly Directive[], opts: ShapeOptions = {}): string[] {
  const out: string[] = [];
  walkShape(tree, (path) => out.push(path), opts);
  return out.sort();
}
