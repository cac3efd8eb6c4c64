// Label and field selectors as the apiserver parses them (equality and set-based).
import { badRequest } from './errors.js';
import type { KubeObject } from './types.js';

type Requirement = (labels: Record<string, string>) => boolean;

export function parseLabelSelector(text: string | undefined): Requirement {
  if (!text) return () => true;
  const reqs: Requirement[] = [];
  for (const raw of splitTopLevel(text)) {
    const term = raw.trim();
    if (!term) continue;
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const [, key, op, vals] = m as unknown as [string, string, string, string];
      const set = new Set(vals.split(',').map((v) => v.trim()));
      reqs.push(op === 'in' ? (l) => key in l && set.has(l[key]!) : (l) => !(key in l) || !set.has(l[key]!));
    } else if ((m = term.match(/^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/))) {
      const [, key, op, val] = m as unknown as [string, string, string, string];
      reqs.push(op === '!=' ? (l) => l[key] !== val : (l) => l[key] === val);
    } else if ((m = term.match(/^!([\w./-]+)$/))) {
      const key = m[1]!;
      reqs.push((l) => !(key in l));
    } else if ((m = term.match(/^([\w./-]+)$/))) {
      const key = m[1]!;
      reqs.push((l) => key in l);
    } else {
      throw badRequest(`unable to parse requirement: found '${term}', expected: identifier`);
    }
  }
  return (labels) => reqs.every((r) => r(labels));
}

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Field selectors: `a.b=v`, `a.b==v`, `a.b!=v`, comma-joined; the field path is read off the object. */
export function parseFieldSelector(text: string | undefined): (obj: KubeObject) => boolean {
  if (!text) return () => true;
  const reqs = text.split(',').filter(Boolean).map((term) => {
    const m = term.match(/^([\w.]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const [, path, op, val] = m as unknown as [string, string, string, string];
    return (obj: KubeObject) => {
      const actual = fieldValue(obj, path);
      return op === '!=' ? actual !== val : actual === val;
    };
  });
  return (obj) => reqs.every((r) => r(obj));
}

function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

export function matchesSelectorMap(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  const l = labels ?? {};
  return Object.entries(selector).every(([k, v]) => l[k] === v);
}
