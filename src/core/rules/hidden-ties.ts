import { createHmac, randomBytes } from 'node:crypto';
import type { VisibleViewer } from './reading-rules.js';

/**
 * A per-process key for the last resort below: a member cannot compute where an id would sort,
 * so the order of otherwise equal hidden entries tells nothing about who they are.
 */
const TIE_KEY = randomBytes(32);

/**
 * Ties among hidden entries are never ordered by viewer id (docs/compatibility.md, "Hidden
 * entries"). The store orders a page newest view first and, at the same millisecond, by viewer
 * id; in each run of entries viewed at the same millisecond this puts the entries shown in
 * full first (their ids are on display anyway), then the hidden ones by what the member sees
 * (label, then hour-floored first view, then count), and only then by a keyed hash of the id.
 * Who is in full is not changed: that was decided from the store's order (recency rank).
 *
 * `exact` is each entry's unrounded last view; entries come in the store's order.
 */
export function orderHiddenTies(entries: readonly { viewer: VisibleViewer; viewerId: string; exact: number }[]): VisibleViewer[] {
  const out: VisibleViewer[] = [];
  for (let i = 0; i < entries.length; ) {
    let j = i + 1;
    while (j < entries.length && entries[j]!.exact === entries[i]!.exact) j++;
    const run = entries.slice(i, j);
    const hidden = run.filter((e) => e.viewer.identity === null);
    if (hidden.length > 1) {
      const key = new Map(hidden.map((e) => [e, createHmac('sha256', TIE_KEY).update(e.viewerId).digest('hex')]));
      hidden.sort(
        (x, y) =>
          compare(x.viewer.label, y.viewer.label) ||
          x.viewer.firstViewedAt - y.viewer.firstViewedAt ||
          y.viewer.viewCount - x.viewer.viewCount ||
          compare(key.get(x)!, key.get(y)!),
      );
      out.push(...run.filter((e) => e.viewer.identity !== null).map((e) => e.viewer), ...hidden.map((e) => e.viewer));
    } else out.push(...run.map((e) => e.viewer));
    i = j;
  }
  return out;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
