// The verdict on one hostile input: given a way to render objects into nginx configuration, the
// controller either rejects the Ingress with a reason, or renders exactly what it renders for a
// benign twin (same directive shape, argument counts included) with the hostile value confined
// to one quoted argument. Nothing else passes. The end-to-end test (corpus → API → controller →
// `nginx -T`) only has to supply `render`.
import type { Rejection } from '../../src/model.js';
import { ConfParseError, parseConfig, type Directive } from '../../src/nginx/conf-parse.js';
import { isConfined, newOccurrences, sameShape, shapeDiff, valuesInArgs, type Occurrence } from './conf-diff.js';
import type { HostileEntry } from './hostile-inputs.js';
import { emptySceneFor, manifestsFor, twinsFor, type KubeObject, type VariantLabel } from './manifests.js';

/** nginx configuration text (a file or `nginx -T` stdout), or the controller's refusal */
export type RenderResult = string | Rejection;
export type Render = (objects: KubeObject[]) => RenderResult | Promise<RenderResult>;

export type Verdict =
  | { id: string; ok: true; outcome: 'rejected'; reason: string }
  /** rendered like one of the twins (`ignored`: as if the Ingress were not there) */
  | { id: string; ok: true; outcome: 'rendered'; like: VariantLabel; occurrences: Occurrence[] }
  | { id: string; ok: false; problems: string[] };

export interface CheckOptions {
  /** renders of identical object lists are reused (the twins repeat across entries); key: JSON of the objects */
  cache?: Map<string, RenderResult>;
}

const isRejection = (r: RenderResult): r is Rejection => typeof r !== 'string';

/** characters that give a location's first argument or a server name a meaning of their own, quoted or not */
const SIGIL = /^[~=^@*.]/;

/**
 * Renders the entry's objects, then (unless rejected) its twins and the scene without Ingresses.
 * Fails when: the reason is missing or multi-line; render throws; the config holds a NUL or does
 * not parse as nginx would (4 KiB token limit included); the benign twin is rejected or renders
 * nothing; the shape (argument counts included) equals no twin; the value appears, beyond what the
 * matching twin has, as a directive name, a bare token or inside Lua; or it starts a server name or
 * location with a character nginx reads as a modifier. `render` may be async (API → controller → nginx -T).
 */
export async function checkHostileRender(entry: HostileEntry, render: Render, opts: CheckOptions = {}): Promise<Verdict> {
  const id = entry.id;
  const fail = (...problems: string[]): Verdict => ({ id, ok: false, problems });
  const renderCached = async (objects: KubeObject[]): Promise<RenderResult> => {
    const key = opts.cache && JSON.stringify(objects);
    const hit = key === undefined ? undefined : opts.cache!.get(key);
    if (hit !== undefined) return hit;
    const r = await render(objects);
    if (key !== undefined) opts.cache!.set(key, r);
    return r;
  };

  let hostile: RenderResult;
  try {
    hostile = await render(manifestsFor(entry));
  } catch (e) {
    return fail(`render threw on the hostile input (a crash is a denial of service): ${(e as Error).message}`);
  }
  if (isRejection(hostile)) {
    const reason = hostile.reason ?? '';
    if (reason.trim() === '' || /[\r\n]/.test(reason)) return fail(`rejected without a one-line reason: ${JSON.stringify(reason)}`);
    return { id, ok: true, outcome: 'rejected', reason };
  }
  if (hostile.includes('\u0000')) return fail('the rendered configuration holds a NUL byte (nginx cuts C strings there)');
  const hostileTree = parse(hostile);
  if (typeof hostileTree === 'string') return fail(`the rendered configuration does not parse: ${hostileTree}`);

  // the twins: benign first; it must render, and render something, or the comparison proves nothing
  const trees = new Map<VariantLabel, readonly Directive[]>();
  for (const v of twinsFor(entry)) {
    const r = await renderCached(v.objects).catch((e: Error) => e);
    if (r instanceof Error || isRejection(r)) {
      if (v.label === 'benign') return fail(`the benign twin was not rendered: ${r instanceof Error ? r.message : r.reason}`);
      continue;
    }
    const t = parse(r);
    if (typeof t === 'string') return fail(`the ${v.label} twin's configuration does not parse: ${t}`);
    trees.set(v.label, t);
  }
  const benign = trees.get('benign')!;
  const empty = await renderCached(emptySceneFor(entry)).catch(() => undefined);
  const emptyTree = typeof empty === 'string' ? parse(empty) : undefined;
  if (emptyTree !== undefined && typeof emptyTree !== 'string' && sameShape(benign, emptyTree)) {
    return fail('the benign twin renders the same as no Ingress at all, so matching it proves nothing (wrong class? missing Service?)');
  }

  const like = [...trees.keys()].find((label) => sameShape(trees.get(label)!, hostileTree));
  if (like === undefined) {
    const { added, removed } = shapeDiff(benign, hostileTree);
    return fail(
      'the directive shape differs from every twin (' + [...trees.keys()].join(', ') + '); against the benign twin:',
      ...added.map((c) => `  added ${c.count}× ${c.path} (at ${c.at.join(', ')})`),
      ...removed.map((c) => `  removed ${c.count}× ${c.path}`),
    );
  }

  const occurrences = newOccurrences(valuesInArgs(hostileTree, entry.value), valuesInArgs(trees.get(like)!, entry.value));
  const problems = occurrences.filter((o) => !isConfined(o)).map((o) =>
    `the value is ${o.index < 0 ? 'a directive name' : o.quote === 'lua' ? 'inside Lua code' : 'a bare argument'} at ${o.path} (${o.file}:${o.line})`);
  for (const o of occurrences) {
    const directive = o.path.slice(o.path.lastIndexOf('>') + 1);
    const first = directive === 'server_name' || (directive === 'location' && o.index === 0);
    if (first && o.token.startsWith(entry.value) && SIGIL.test(entry.value)) {
      problems.push(`the value starts ${directive}'s argument with "${entry.value[0]}", which nginx reads as a modifier even when quoted (${o.file}:${o.line})`);
    }
  }
  return problems.length ? fail(...problems) : { id, ok: true, outcome: 'rendered', like, occurrences };
}

function parse(text: string): readonly Directive[] | string {
  try {
    return parseConfig(text).tree;
  } catch (e) {
    if (e instanceof ConfParseError) return e.message;
    throw e;
  }
}
