/**
 * Whether a visit is counted (docs/rules.md, recording): a visit whose client id was already
 * recorded is a replay, answered with that id; else a visit closer than the dedup window to a
 * counted view of the same viewer on the same profile is a repeat; else it is counted, and goes
 * into the visit log (docs/visit-log.md). Self-views, blocks and unknown members are refused
 * before this, in use-cases/record-visits.ts.
 *
 * The backends decide with this function and give it the facts, read under their own locks
 * (SQLite: inside the group-commit transaction; PostgreSQL: under the summary row locks), about
 * everything counted before, earlier visits of the same batch included. Facts are asked lazily,
 * in this order, so a backend reads only what the decision needs.
 */
import type { AcceptedVisit } from '../types.js';

export type RecordingDecision = 'replayed' | 'deduplicated' | 'recorded';

export interface RecordingFacts {
  /** The visit's client id (not null when asked) is already recorded in the workspace. */
  replayed(): boolean;
  /** The latest counted view of this viewer on this profile, or null when there is none. */
  lastView(): number | null;
  /** Whether a counted view of this viewer on this profile lies strictly between `after` and `before`. */
  viewedBetween(after: number, before: number): boolean;
}

export function decideVisit(v: AcceptedVisit, facts: RecordingFacts, dedupWindowMs: number): RecordingDecision {
  if (v.clientId !== null && facts.replayed()) return 'replayed';
  if (dedupWindowMs > 0) {
    const last = facts.lastView();
    if (last !== null) {
      // Newer than every counted view: only the latest one can be close. Older (a late
      // delivery): any counted view on either side may be.
      const repeat = v.viewedAt >= last ? v.viewedAt - last < dedupWindowMs : facts.viewedBetween(v.viewedAt - dedupWindowMs, v.viewedAt + dedupWindowMs);
      if (repeat) return 'deduplicated';
    }
  }
  return 'recorded';
}
