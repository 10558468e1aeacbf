/**
 * What the visit store holds of a member, erased (docs/rules.md, erasure): pending and folded
 * visits as viewer and as owner, the summaries and day counts built from them, their visit log
 * entries and insights. Statements with `@ws` and `@id`, run in order in one transaction: by
 * the member store's erase (members.ts) with the rest of the member, or by the visit store's
 * own (visits.ts) when the member's entity rows live elsewhere (storage/compose-stores.ts).
 */
import { INSIGHTS_ERASE_SQL } from './insights-sql.js';

export const VISIT_ERASE_SQL: readonly string[] = [
  // Pending visits first, as viewer (a scan of the small inbox: no index by viewer, which
  // every recording would pay for) and as owner, in both inbox tables.
  ...[0, 1].flatMap((n) => [
    `DELETE FROM inbox.visit_inbox_${n} WHERE workspace_id = @ws AND viewer_id = @id`,
    `DELETE FROM inbox.visit_inbox_${n} WHERE workspace_id = @ws AND profile_id = @id`,
  ]),
  // The insights projections, while the raw visits that locate their rows are still there.
  ...INSIGHTS_ERASE_SQL,
  // The visit log keeps no visit of an erased member (a rebuild must not bring them back):
  // a scan of the log, erasure being rare (docs/visit-log.md).
  'DELETE FROM inbox.visit_log WHERE workspace_id = @ws AND (viewer_id = @id OR profile_id = @id)',
  // As viewer: the profiles they viewed come from the summary's viewer index, then each
  // (profile, viewer) pair is an index range of the raw visits.
  'DELETE FROM visits WHERE workspace_id = @ws AND viewer_id = @id AND profile_id IN (SELECT profile_id FROM visitor_summary WHERE workspace_id = @ws AND viewer_id = @id)',
  // Each profile they viewed loses one viewer on the day of their last view.
  `UPDATE viewer_day_counts SET viewers = viewers - 1 WHERE workspace_id = @ws AND (profile_id, day) IN
    (SELECT profile_id, last_viewed_at / 86400000 FROM visitor_summary WHERE workspace_id = @ws AND viewer_id = @id)`,
  'DELETE FROM visitor_summary WHERE workspace_id = @ws AND viewer_id = @id',
  'DELETE FROM visits WHERE workspace_id = @ws AND profile_id = @id',
  'DELETE FROM visitor_summary WHERE workspace_id = @ws AND profile_id = @id',
  'DELETE FROM viewer_day_counts WHERE workspace_id = @ws AND profile_id = @id',
];
