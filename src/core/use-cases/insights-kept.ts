/**
 * What member insights computed from the projection and the directory, kept per store and
 * reused while the versions it was computed with (InsightsStore.versions) still read the same
 * (docs/insights.md, "Cost"). The versions move in the transaction of every change to what the
 * figures are computed from, so a kept result is exactly what computing again would give: the
 * figures stay exact, and a profile read often (the celebrity's page, a dashboard) costs one
 * row's read instead of a year of slots or every viewer of the range.
 *
 * A kept value is shared by every request that finds it: it is frozen here, and callers build
 * their answers around it without changing it.
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

const byStore = new WeakMap<InsightsStore, Map<string, unknown>>();

/**
 * The value kept under `key`, or `compute()`'s, kept. `key` must name everything the value
 * depends on: the versions read before computing (never after: a change landing in between
 * would be kept under the newer version) and the request's parameters.
 */
export async function keptOr<T>(store: InsightsStore, key: string, compute: () => Promise<T>): Promise<T> {
  let kept = byStore.get(store);
  if (!kept) byStore.set(store, (kept = new Map()));
  if (kept.has(key)) {
    const value = kept.get(key) as T;
    // Most recently used last, so the first key is the one to drop.
    kept.delete(key);
    kept.set(key, value);
    return value;
  }
  const value = Object.freeze(await compute());
  if (kept.size >= KEPT_PER_STORE) kept.delete(kept.keys().next().value!);
  kept.set(key, value);
  return value;
}
