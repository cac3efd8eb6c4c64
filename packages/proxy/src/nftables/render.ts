// One sync as one `nft -f -` transaction, in upstream's shape: a full sync re-creates the fixed
// layout, every Service chain and every map element; an incremental sync rewrites (flush + re-add)
// only the changed Service ports' chains and sends map element adds/deletes. Chains nothing uses any
// more are emptied at once and deleted by a sync ≥ 1 s later: before Linux 6.2 the kernel keeps
// counting a chain as referenced for a moment after the map element pointing at it is gone.
import type { ServicePort } from '../service-ports.js';
import { diffElements, type Element, type ElementState } from './elements.js';
import { TABLE, renderSetup, type SetupOptions } from './layout.js';
import type { NameCache } from './names.js';
import { isIPv4 } from '../service-ports.js';
import { PortPlan, type PlanOptions } from './service-port.js';

export const STALE_CHAIN_DELAY_MS = 1000;

/** What the table holds after a successful sync, as far as the next incremental sync needs to know. */
export interface SyncState {
  /** each Service port as last written; an incremental sync reuses those not named as changed */
  plans: Map<string, PortPlan>;
  /** Service chains (names with "/") holding their current rules */
  chains: Set<string>;
  /** Service chains emptied because nothing uses them, with the time they went stale */
  stale: Map<string, number>;
  affinitySets: Set<string>;
  elements: ElementState;
}

export const emptyState = (): SyncState => ({ plans: new Map(), chains: new Set(), stale: new Map(), affinitySets: new Set(), elements: new Map() });

export interface RenderInput {
  ports: readonly ServicePort[];
  plan: PlanOptions;
  names: NameCache;
  /** present for a full sync: the fixed layout is (re)written, every chain emptied and every map refilled */
  setup?: SetupOptions;
  /** incremental syncs: the Service port names changed since `prior` */
  changed?: ReadonlySet<string>;
  /** the table as it stands (for a full sync: as listed from nft; its elements are ignored) */
  prior: SyncState;
  now: number;
}

export interface Rendered {
  /** the transaction; "" when an incremental sync has nothing to change */
  text: string;
  next: SyncState;
  /** how many Service ports had their chains rewritten */
  rewritten: number;
}

export function renderSync(input: RenderInput): Rendered {
  const { prior, now } = input;
  const full = input.setup !== undefined;
  const out: string[] = full ? renderSetup(input.setup!) : [];
  const plans = new Map<string, PortPlan>();
  const active = new Set<string>();
  const activeSets = new Set<string>();
  const elements: Element[] = [];
  let rewritten = 0;

  for (const sp of input.ports) {
    // this is the IPv4 table; upstream runs a second proxier for IPv6 Services
    if (!isIPv4(sp.clusterIP)) continue;
    // an unchanged port is as we wrote it: neither recomputed nor rewritten (a port we never wrote is
    // written even if `changed` forgot it, so no map element can point at a missing chain)
    const reused = full || input.changed!.has(sp.name) ? undefined : prior.plans.get(sp.name);
    const plan = reused ?? new PortPlan(sp, input.plan, input.names);
    plans.set(sp.name, plan);
    for (const c of plan.chains) active.add(c);
    for (const s of plan.affinitySets) activeSets.add(s);
    for (const e of plan.elements) elements.push(e);
    if (reused) continue;
    rewritten++;
    if (!plan.chains.length) continue; // a port without endpoints has only map elements
    // "flush table" emptied every chain of a full sync already
    const block = [''];
    for (const c of plan.chains) block.push(full ? `add chain ${TABLE} ${c}` : `add chain ${TABLE} ${c}\nflush chain ${TABLE} ${c}`);
    plan.writeBody(block);
    // one flat string per port: a quarter million short-lived line strings would all survive
    // until the final join and make the garbage collector the biggest cost of a full sync
    out.push(block.join('\n'));
  }

  const diff = diffElements(full ? undefined : prior.elements, elements);
  const tail = [...diff.deletes, ...diff.adds];

  const stale = new Map<string, number>();
  const deletes: string[] = [];
  for (const c of prior.chains) {
    // newly unused: emptied now ("flush table" did that on a full sync), deleted a sync later
    if (active.has(c)) continue;
    if (!full) tail.push(`flush chain ${TABLE} ${c}`);
    stale.set(c, now);
  }
  for (const [c, since] of prior.stale) {
    if (active.has(c)) continue;
    // "add" first: deleting a chain someone already removed would fail the whole transaction
    if (now - since >= STALE_CHAIN_DELAY_MS) deletes.push(`add chain ${TABLE} ${c}`, `delete chain ${TABLE} ${c}`);
    else stale.set(c, since);
  }
  // affinity sets are only referenced from chains rewritten or emptied above: they go at once
  for (const s of prior.affinitySets) if (!activeSets.has(s)) tail.push(`delete set ${TABLE} ${s}`);
  if (tail.length || deletes.length) out.push('');
  // (no push(...spread): tens of thousands of arguments overflow the stack)
  for (const l of tail) out.push(l);
  for (const l of deletes) out.push(l);

  return {
    text: out.length ? out.join('\n') + '\n' : '',
    next: { plans, chains: active, stale, affinitySets: activeSets, elements: diff.next },
    rewritten,
  };
}
