/**
 * The SQL of the insights projection on SQLite (insights.ts): the apply step's upserts and an
 * erase's steps. A module without imports, so that members.ts takes the erase steps in without
 * pulling the projection along.
 */

/** One (profile, slot) count; parameters ws, profile, slot, views. */
export const INSIGHTS_ADD_SLOT = `INSERT INTO main.insight_slots (workspace_id, profile_id, slot, views) VALUES (?, ?, ?, ?)
  ON CONFLICT (workspace_id, profile_id, slot) DO UPDATE SET views = views + excluded.views`;

/** One (profile, slot, viewer, source) count; parameters ws, profile, slot, viewer, source, views. */
export const INSIGHTS_ADD_VIEWER_SLOT = `INSERT INTO main.insight_viewer_slots (workspace_id, profile_id, slot, viewer_id, source, views) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (workspace_id, profile_id, slot, viewer_id, source) DO UPDATE SET views = views + excluded.views`;

/**
 * An erase's steps (named parameters @ws, @id): the member's views of others leave each
 * profile's slot counts (found through the projection's own viewer index, so whatever the
 * projection has applied is taken out, whether or not other projections have got as far), then
 * their rows as viewer and as profile go.
 */
export const INSIGHTS_ERASE_SQL: readonly string[] = [
  `UPDATE main.insight_slots AS s SET views = s.views - (
      SELECT sum(v.views) FROM main.insight_viewer_slots v
      WHERE v.workspace_id = s.workspace_id AND v.profile_id = s.profile_id AND v.slot = s.slot AND v.viewer_id = @id)
    WHERE (workspace_id, profile_id, slot) IN (
      SELECT workspace_id, profile_id, slot FROM main.insight_viewer_slots WHERE workspace_id = @ws AND viewer_id = @id)`,
  'DELETE FROM main.insight_viewer_slots WHERE workspace_id = @ws AND viewer_id = @id',
  'DELETE FROM main.insight_slots WHERE workspace_id = @ws AND profile_id = @id',
  'DELETE FROM main.insight_viewer_slots WHERE workspace_id = @ws AND profile_id = @id',
];
