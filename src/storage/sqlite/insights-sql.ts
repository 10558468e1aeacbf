/**
 * The SQL of the insights projections on SQLite (insights.ts reads them): the apply step run in
 * the fold, and an erase's steps. A module without imports, so that fold.ts can take it in
 * without an import cycle.
 */

/** Slot of a `viewed_at` in SQL: integer division, as core's `slotOf` (times are never negative). */
const SLOT = 'viewed_at / 900000';

/** Connection-local scratch tables of the apply step, created with the fold's. */
export const INSIGHTS_FOLD_SETUP_SQL: readonly string[] = [
  `CREATE TEMP TABLE IF NOT EXISTS fold_insight_viewers (
    workspace_id TEXT, profile_id TEXT, slot INTEGER, viewer_id TEXT, source TEXT, n INTEGER,
    PRIMARY KEY (workspace_id, profile_id, slot, viewer_id, source)) WITHOUT ROWID`,
  `CREATE TEMP TABLE IF NOT EXISTS fold_insight_slots (
    workspace_id TEXT, profile_id TEXT, slot INTEGER, n INTEGER, PRIMARY KEY (workspace_id, profile_id, slot)) WITHOUT ROWID`,
];

/**
 * The apply step: adds the batch in `temp.fold_batch` (counted visits, each once) to both
 * projections. Set-based and written in key order like the rest of the fold; existing rows are
 * updated through an IN list on their primary key, new ones inserted, no upsert (fold.ts says why).
 */
export const INSIGHTS_FOLD_SQL: readonly string[] = [
  'DELETE FROM temp.fold_insight_viewers',
  `INSERT OR FAIL INTO temp.fold_insight_viewers
    SELECT workspace_id, profile_id, ${SLOT}, viewer_id, source, count(*) FROM temp.fold_batch GROUP BY 1, 2, 3, 4, 5`,
  'DELETE FROM temp.fold_insight_slots',
  `INSERT OR FAIL INTO temp.fold_insight_slots
    SELECT workspace_id, profile_id, slot, sum(n) FROM temp.fold_insight_viewers GROUP BY 1, 2, 3`,
  `UPDATE OR FAIL main.insight_slots AS s SET views = s.views +
      (SELECT f.n FROM temp.fold_insight_slots f WHERE f.workspace_id = s.workspace_id AND f.profile_id = s.profile_id AND f.slot = s.slot)
    WHERE (workspace_id, profile_id, slot) IN (SELECT workspace_id, profile_id, slot FROM temp.fold_insight_slots)`,
  `INSERT OR FAIL INTO main.insight_slots (workspace_id, profile_id, slot, views)
    SELECT workspace_id, profile_id, slot, n FROM temp.fold_insight_slots f
    WHERE NOT EXISTS (SELECT 1 FROM main.insight_slots s WHERE s.workspace_id = f.workspace_id AND s.profile_id = f.profile_id AND s.slot = f.slot)
    ORDER BY 1, 2, 3`,
  `UPDATE OR FAIL main.insight_viewer_slots AS s SET views = s.views +
      (SELECT f.n FROM temp.fold_insight_viewers f WHERE f.workspace_id = s.workspace_id AND f.profile_id = s.profile_id AND f.slot = s.slot
        AND f.viewer_id = s.viewer_id AND f.source = s.source)
    WHERE (workspace_id, profile_id, slot, viewer_id, source) IN (SELECT workspace_id, profile_id, slot, viewer_id, source FROM temp.fold_insight_viewers)`,
  `INSERT OR FAIL INTO main.insight_viewer_slots (workspace_id, profile_id, slot, viewer_id, source, views)
    SELECT workspace_id, profile_id, slot, viewer_id, source, n FROM temp.fold_insight_viewers f
    WHERE NOT EXISTS (SELECT 1 FROM main.insight_viewer_slots s WHERE s.workspace_id = f.workspace_id AND s.profile_id = f.profile_id
      AND s.slot = f.slot AND s.viewer_id = f.viewer_id AND s.source = f.source)
    ORDER BY 1, 2, 3, 4, 5`,
];

/**
 * An erase's steps (named parameters @ws, @id), run before the raw visits go: the member's own
 * rows as a profile, and their views of others, found through the raw visits of each profile
 * they viewed (the summary's viewer index gives the profiles). The projections hold folded
 * visits only, which are the raw visits; pending ones leave the inbox unapplied.
 */
export const INSIGHTS_ERASE_SQL: readonly string[] = [
  `UPDATE main.insight_slots AS s SET views = s.views - (
      SELECT count(*) FROM main.visits v WHERE v.workspace_id = @ws AND v.profile_id = s.profile_id AND v.viewer_id = @id
        AND v.viewed_at >= s.slot * 900000 AND v.viewed_at < (s.slot + 1) * 900000)
    WHERE s.workspace_id = @ws AND (s.profile_id, s.slot) IN (
      SELECT profile_id, ${SLOT} FROM main.visits WHERE workspace_id = @ws AND viewer_id = @id
        AND profile_id IN (SELECT profile_id FROM main.visitor_summary WHERE workspace_id = @ws AND viewer_id = @id))`,
  `DELETE FROM main.insight_viewer_slots WHERE workspace_id = @ws AND (profile_id, slot, viewer_id) IN (
      SELECT profile_id, ${SLOT}, viewer_id FROM main.visits WHERE workspace_id = @ws AND viewer_id = @id
        AND profile_id IN (SELECT profile_id FROM main.visitor_summary WHERE workspace_id = @ws AND viewer_id = @id))`,
  'DELETE FROM main.insight_slots WHERE workspace_id = @ws AND profile_id = @id',
  'DELETE FROM main.insight_viewer_slots WHERE workspace_id = @ws AND profile_id = @id',
];

