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
 * Moves a profile's version (insight_versions, docs/insights.md "Cost"): in the transaction of
 * every change to its rows, so a reader that finds the version it computed with knows its
 * result still holds. Parameters ws, profile.
 */
export const INSIGHTS_BUMP_VERSION = `INSERT INTO main.insight_versions (workspace_id, profile_id, version) VALUES (?, ?, 1)
  ON CONFLICT (workspace_id, profile_id) DO UPDATE SET version = version + 1`;

/** The same for every profile with rows before a slot (the retention purge); parameters ws, slot. */
export const INSIGHTS_BUMP_VERSIONS_BEFORE = `INSERT INTO main.insight_versions (workspace_id, profile_id, version)
  SELECT DISTINCT workspace_id, profile_id, 1 FROM main.insight_slots WHERE workspace_id = ? AND slot < ?
  ON CONFLICT (workspace_id, profile_id) DO UPDATE SET version = version + 1`;

/** A rebuild empties the tables: every version moves, those of bulk-loaded profiles (no row yet) included. */
export const INSIGHTS_BUMP_ALL_VERSIONS: readonly string[] = [
  'UPDATE main.insight_versions SET version = version + 1',
  `INSERT INTO main.insight_versions (workspace_id, profile_id, version)
    SELECT DISTINCT workspace_id, profile_id, 1 FROM main.insight_slots WHERE true
    ON CONFLICT (workspace_id, profile_id) DO NOTHING`,
];

/**
 * An erase's steps (named parameters @ws, @id): the member's views of others leave each
 * profile's slot counts (found through the projection's own viewer index, so whatever the
 * projection has applied is taken out, whether or not other projections have got as far), then
 * their rows as viewer and as profile go.
 */
export const INSIGHTS_ERASE_SQL: readonly string[] = [
  // First the versions of every profile whose rows change: those they viewed, and their own.
  `INSERT INTO main.insight_versions (workspace_id, profile_id, version)
    SELECT DISTINCT workspace_id, profile_id, 1 FROM main.insight_viewer_slots WHERE workspace_id = @ws AND viewer_id = @id
    ON CONFLICT (workspace_id, profile_id) DO UPDATE SET version = version + 1`,
  `INSERT INTO main.insight_versions (workspace_id, profile_id, version) VALUES (@ws, @id, 1)
    ON CONFLICT (workspace_id, profile_id) DO UPDATE SET version = version + 1`,
  `UPDATE main.insight_slots AS s SET views = s.views - (
      SELECT sum(v.views) FROM main.insight_viewer_slots v
      WHERE v.workspace_id = s.workspace_id AND v.profile_id = s.profile_id AND v.slot = s.slot AND v.viewer_id = @id)
    WHERE (workspace_id, profile_id, slot) IN (
      SELECT workspace_id, profile_id, slot FROM main.insight_viewer_slots WHERE workspace_id = @ws AND viewer_id = @id)`,
  'DELETE FROM main.insight_viewer_slots WHERE workspace_id = @ws AND viewer_id = @id',
  'DELETE FROM main.insight_slots WHERE workspace_id = @ws AND profile_id = @id',
  'DELETE FROM main.insight_viewer_slots WHERE workspace_id = @ws AND profile_id = @id',
];
