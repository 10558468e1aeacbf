/**
 * The insights projection on PostgreSQL (docs/insights.md): adds each log entry to the views per
 * (profile, slot) and per (profile, slot, viewer, source). Driven by the projection runner, off
 * the recording path; its checkpoint is in `projection_checkpoints`, moved in the transaction
 * that writes the counts (projection-checkpoints.ts), whose row lock also keeps two processes
 * from applying one workspace at once.
 */
import { INSIGHTS_PROJECTION, slotOf, type Projection, type VisitLogEntry } from '../../core/index.js';
import type { PgDatabase } from './database.js';
import { PgCheckpoints } from './projection-checkpoints.js';

/** Moves the versions of the profiles given (docs/insights.md, "Kept results"), in key order. */
const BUMP_VERSIONS = `INSERT INTO insight_versions AS v (workspace_id, profile_id, version)
  SELECT $1, p, 1 FROM (SELECT DISTINCT unnest($2::text[]) AS p) x ORDER BY p
  ON CONFLICT (workspace_id, profile_id) DO UPDATE SET version = v.version + 1`;

/** Written in key order: appliers of one workspace are serialized by the checkpoint, and an erase meets rows in a stable order. */
const ADD_SLOTS = `INSERT INTO insight_slots AS s (workspace_id, profile_id, slot, views)
  SELECT $1, p, slot, count(*) FROM unnest($2::text[], $3::int4[]) AS t(p, slot) GROUP BY p, slot ORDER BY p, slot
  ON CONFLICT (workspace_id, profile_id, slot) DO UPDATE SET views = s.views + excluded.views`;

const ADD_VIEWER_SLOTS = `INSERT INTO insight_viewer_slots AS s (workspace_id, profile_id, slot, viewer_id, source, views)
  SELECT $1, p, slot, v, src, count(*) FROM unnest($2::text[], $3::int4[], $4::text[], $5::text[]) AS t(p, slot, v, src)
  GROUP BY p, slot, v, src ORDER BY p, slot, v, src
  ON CONFLICT (workspace_id, profile_id, slot, viewer_id, source) DO UPDATE SET views = s.views + excluded.views`;

export class PgInsightsProjection implements Projection {
  readonly name = INSIGHTS_PROJECTION;
  readonly drivenBy = 'runner' as const;
  private checkpoints;

  constructor(private db: PgDatabase) {
    this.checkpoints = new PgCheckpoints(db);
  }

  async checkpoint(workspaceId: string): Promise<number> {
    return Number(await this.checkpoints.read(this.name, workspaceId));
  }

  async apply(workspaceId: string, entries: readonly VisitLogEntry[]): Promise<void> {
    // Only what an erase has not taken out of the log since the runner read it.
    await this.checkpoints.applyLogged(this.name, workspaceId, entries, async (c, list) => {
      const profiles = list.map((e) => e.profileId);
      const slots = list.map((e) => slotOf(e.viewedAt));
      await c.query(ADD_SLOTS, [workspaceId, profiles, slots]);
      await c.query(ADD_VIEWER_SLOTS, [workspaceId, profiles, slots, list.map((e) => e.viewerId), list.map((e) => e.source)]);
      // What readers kept of these profiles no longer holds (insights.ts, `versions`).
      await c.query(BUMP_VERSIONS, [workspaceId, profiles]);
    });
  }

  async reset(): Promise<void> {
    await this.db.transaction(async (c) => {
      // Every version moves, those of bulk-loaded profiles (no row yet) included.
      await c.query('UPDATE insight_versions SET version = version + 1');
      await c.query(`INSERT INTO insight_versions (workspace_id, profile_id, version)
        SELECT DISTINCT workspace_id, profile_id, 1 FROM insight_slots ON CONFLICT DO NOTHING`);
      await c.query('DELETE FROM insight_slots');
      await c.query('DELETE FROM insight_viewer_slots');
      await this.checkpoints.resetAll(c, this.name);
    });
  }
}
