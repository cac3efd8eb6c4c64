// Map and set elements, tracked as upstream's nftElementStorage does: a full sync flushes the
// containers and adds everything; an incremental sync adds what is new, deletes what is gone, and
// replaces (delete + add) an element whose verdict changed, since nft refuses to overwrite one.
import { TABLE, type Container } from './layout.js';

export interface Element {
  container: Container;
  /** "172.30.0.41 . tcp . 80", or just "172.30.0.41" in the cluster-ips set */
  key: string;
  /** the verdict ("goto service-…", "drop"); none for set elements */
  value?: string;
  /** the Service port, on the no-endpoint maps (as upstream) */
  comment?: string;
}

/** Every element we wrote, by container and key. */
export type ElementState = Map<Container, Map<string, Element>>;

function addLine(e: Element): string {
  const comment = e.comment ? ` comment "${e.comment}"` : '';
  return `add element ${TABLE} ${e.container} { ${e.key}${comment}${e.value ? ` : ${e.value}` : ''} }`;
}

const deleteLine = (e: Element) => `delete element ${TABLE} ${e.container} { ${e.key} }`;

export interface ElementDiff { deletes: string[]; adds: string[]; next: ElementState }

/**
 * What turns `prior` into `desired`; `prior` undefined means the containers are being flushed
 * (full sync). Later duplicates of a key win, as with upstream's ensureElem.
 */
export function diffElements(prior: ElementState | undefined, desired: Iterable<Element>): ElementDiff {
  const next: ElementState = new Map();
  for (const e of desired) {
    let m = next.get(e.container);
    if (!m) next.set(e.container, (m = new Map()));
    m.set(e.key, e);
  }
  const deletes: string[] = [];
  const adds: string[] = [];
  for (const [container, m] of next) {
    const before = prior?.get(container);
    for (const [key, e] of m) {
      const old = before?.get(key);
      if (old && old.value === e.value) continue;
      if (old) deletes.push(deleteLine(old));
      adds.push(addLine(e));
    }
  }
  for (const [container, m] of prior ?? []) {
    const after = next.get(container);
    for (const [key, e] of m) if (!after?.has(key)) deletes.push(deleteLine(e));
  }
  return { deletes, adds, next };
}
