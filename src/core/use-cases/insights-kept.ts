/**
 * What member insights computed from the projection and the directory, kept per store and
 * reused while the versions it was computed with (InsightsStore.versions) still read the same
 * (docs/insights.md, "Cost"). The versions move with every change to what the figures are
 * computed from, so a kept result is exactly what computing again would give: the figures stay
 * exact, and a profile read often (the celebrity's page, a dashboard) costs one row's read
 * instead of a year of slots or every viewer of the range.
 *
 * A kept value is shared by every request that finds it: it is frozen here, and callers build
 * their answers around it without changing it. Requests asking for a key while it is being
 * computed wait for that computation rather than starting their own: they read the same
 * versions, so it is the answer they would compute (on PostgreSQL, 50 requests for the
 * celebrity's page arriving after a change used to compute its breakdowns 50 times at once).
 *
 * Results are kept for a store object (a WeakMap), never across stores: two databases in one
 * process may hold the same workspace and profile ids at the same versions.
 */
import type { InsightsStore } from '../insights-store.js';

/**
 * Results kept per store: a year's daily sums are about 3 KB, so a few MB at most (keeping the
 * series' objects instead, 36 KB a year, took a Zipf bench run's server past 300 MB).
 */
const KEPT_PER_STORE = 2_000;

interface Kept {
  value: Promise<unknown>;
  /** The instant (the use case's clock) from which it is computed again, whatever the versions say. */
  until: number;
}

const byStore = new WeakMap<InsightsStore, Map<string, Kept>>();

/**
 * The value kept under `key`, or `compute()`'s, kept. `key` must name everything the value
 * depends on: the versions read before computing (never after: a change landing in between
 * would be kept under the newer version) and the request's parameters. `maxAgeMs`: how long
 * the value may be reused at most (InsightsVersions.directoryMaxAgeMs), counted from `now`.
 */
export function keptOr<T>(store: InsightsStore, key: string, now: number, maxAgeMs: number | undefined, compute: () => Promise<T>): Promise<T> {
  let kept = byStore.get(store);
  if (!kept) byStore.set(store, (kept = new Map()));
  const found = kept.get(key);
  // Most recently used last, so the first key is the one to drop.
  if (found) kept.delete(key);
  if (found && now < found.until) {
    kept.set(key, found);
    return found.value as Promise<T>;
  }
  const value = compute().then((v) => Object.freeze(v));
  const entry: Kept = { value, until: maxAgeMs === undefined ? Infinity : now + maxAgeMs };
  if (kept.size >= KEPT_PER_STORE) kept.delete(kept.keys().next().value!);
  kept.set(key, entry);
  // A failure is not kept: the next request computes again.
  value.catch(() => {
    if (kept.get(key) === entry) kept.delete(key);
  });
  return value;
}
