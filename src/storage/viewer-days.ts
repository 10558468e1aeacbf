/**
 * The per-(profile, day) histogram of last views that both SQL backends keep beside the
 * summary (table `viewer_day_counts`), so the visitor list's total never scans the list.
 * Days are UTC days since the epoch: `floor(ms / 86_400_000)`, the same integer division the
 * migrations' backfill uses.
 */
import { DAY_MS } from '../core/index.js';

export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);

/** Adds the histogram change of one summary row whose last view moved (or was created) to `deltas`. */
export function addDayDelta(deltas: Map<string, number>, profileId: string, lastBefore: number | null, lastAfter: number): void {
  const after = dayOf(lastAfter);
  if (lastBefore !== null) {
    const before = dayOf(lastBefore);
    if (before === after) return;
    bump(deltas, profileId, before, -1);
  }
  bump(deltas, profileId, after, 1);
}

function bump(deltas: Map<string, number>, profileId: string, day: number, by: number) {
  const key = JSON.stringify([profileId, day]);
  deltas.set(key, (deltas.get(key) ?? 0) + by);
}

/** The non-zero deltas as sorted columns (profile, day, change), ready for one upsert. */
export function dayDeltaColumns(deltas: Map<string, number>): { profiles: string[]; days: number[]; changes: number[] } {
  const rows = [...deltas]
    .filter(([, n]) => n !== 0)
    .map(([k, n]) => [...(JSON.parse(k) as [string, number]), n] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  return { profiles: rows.map((r) => r[0]), days: rows.map((r) => r[1]), changes: rows.map((r) => r[2]) };
}
