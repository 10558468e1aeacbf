/**
 * The summary projection on PostgreSQL (docs/visit-log.md): the per-(profile, viewer) summary
 * and the per-day histogram of last views. The recording transaction writes them with the log
 * (visits.ts), so their checkpoint is the log's head by construction: no row of
 * `projection_checkpoints` while so. `reset` empties them and sets a checkpoint row of zero per
 * workspace; `apply` then replays the log up to the head, where the row is dropped again.
 * Between the two, recordings would write the summary too: `reset` and `apply` are for tests
 * and a server-less replay; `rebuild` (what `profile-visitors rebuild summary` runs) does it in
 * one transaction that holds recordings off.
 *
 * The merge is the one recording makes (visits.ts `decide`): counts add up, the first view is
 * the earliest, the last view the latest, and its source that of the latest view, a tie going
 * to the later position.
 */
import type { Projection, VisitLogEntry } from '../../core/index.js';
import type { PgDatabase } from './database.js';

export const SUMMARY_PROJECTION = 'summary';

const MERGE = `INSERT INTO visitor_summary AS s (workspace_id, profile_id, viewer_id, view_count, first_viewed_at, last_viewed_at, last_source)
  SELECT $1, p, v, count(*), min(at), max(at), (array_agg(src ORDER BY at DESC, pos DESC))[1]
  FROM unnest($2::text[], $3::text[], $4::int8[], $5::text[], $6::int8[]) AS t(p, v, at, src, pos)
  GROUP BY p, v ORDER BY p, v
  ON CONFLICT (workspace_id, profile_id, viewer_id) DO UPDATE SET
    view_count = s.view_count + excluded.view_count,
    first_viewed_at = least(s.first_viewed_at, excluded.first_viewed_at),
    last_source = CASE WHEN excluded.last_viewed_at >= s.last_viewed_at THEN excluded.last_source ELSE s.last_source END,
    last_viewed_at = greatest(s.last_viewed_at, excluded.last_viewed_at)`;

/** The histogram of the touched profiles, recounted from their summaries. */
const RECOUNT_DAYS = [
  'DELETE FROM viewer_day_counts WHERE workspace_id = $1 AND profile_id = ANY($2::text[])',
  `INSERT INTO viewer_day_counts (workspace_id, profile_id, day, viewers)
    SELECT workspace_id, profile_id, (last_viewed_at / 86400000)::integer, count(*) FROM visitor_summary
    WHERE workspace_id = $1 AND profile_id = ANY($2::text[]) GROUP BY 1, 2, 3`,
];

/** Holds recordings off (they write these tables, the summary first) until the transaction ends. */
const LOCK = 'LOCK TABLE visitor_summary, viewer_day_counts, visit_log_heads IN SHARE ROW EXCLUSIVE MODE';

export class PgSummaryProjection implements Projection {
  readonly name = SUMMARY_PROJECTION;
  readonly drivenBy = 'store' as const;

  constructor(private db: PgDatabase) {}

  async checkpoint(workspaceId: string): Promise<number> {
    const [r] = await this.db.query<{ position: number }>(
      `SELECT coalesce((SELECT position FROM projection_checkpoints WHERE name = $2 AND workspace_id = $1),
        (SELECT position FROM visit_log_heads WHERE workspace_id = $1), 0) AS position`,
      [workspaceId, this.name],
    );
    return r!.position;
  }

  async apply(workspaceId: string, entries: readonly VisitLogEntry[]): Promise<void> {
    await this.db.transaction(async (c) => {
      const { rows } = await c.query<{ position: number }>('SELECT position FROM projection_checkpoints WHERE name = $1 AND workspace_id = $2 FOR UPDATE', [
        this.name,
        workspaceId,
      ]);
      // No row: the recordings keep the summary, everything in the log is in it.
      if (rows.length === 0) return;
      const fresh = entries.filter((e) => e.position > rows[0]!.position);
      if (fresh.length === 0) return;
      await c.query(MERGE, [
        workspaceId,
        fresh.map((e) => e.profileId),
        fresh.map((e) => e.viewerId),
        fresh.map((e) => e.viewedAt),
        fresh.map((e) => e.source),
        fresh.map((e) => e.position),
      ]);
      const profiles = [...new Set(fresh.map((e) => e.profileId))];
      for (const sql of RECOUNT_DAYS) await c.query(sql, [workspaceId, profiles]);
      const last = fresh.at(-1)!.position;
      const { rows: head } = await c.query<{ position: number }>('SELECT position FROM visit_log_heads WHERE workspace_id = $1', [workspaceId]);
      if (last >= (head[0]?.position ?? 0)) await c.query('DELETE FROM projection_checkpoints WHERE name = $1 AND workspace_id = $2', [this.name, workspaceId]);
      else await c.query('UPDATE projection_checkpoints SET position = $1, updated_at = $2 WHERE name = $3 AND workspace_id = $4', [last, Date.now(), this.name, workspaceId]);
    });
  }

  async reset(): Promise<void> {
    await this.db.transaction(async (c) => {
      await c.query(LOCK);
      await c.query('DELETE FROM visitor_summary');
      await c.query('DELETE FROM viewer_day_counts');
      await c.query('DELETE FROM projection_checkpoints WHERE name = $1', [this.name]);
      await c.query('INSERT INTO projection_checkpoints (name, workspace_id, position, updated_at) SELECT $1, workspace_id, 0, $2 FROM visit_log_heads', [
        this.name,
        Date.now(),
      ]);
    });
  }

  async rebuild(): Promise<void> {
    await this.db.transaction(async (c) => {
      await c.query(LOCK);
      await c.query('DELETE FROM visitor_summary');
      await c.query('DELETE FROM viewer_day_counts');
      await c.query(`INSERT INTO visitor_summary (workspace_id, profile_id, viewer_id, view_count, first_viewed_at, last_viewed_at, last_source)
        SELECT workspace_id, profile_id, viewer_id, count(*), min(viewed_at), max(viewed_at), (array_agg(source ORDER BY viewed_at DESC, position DESC))[1]
        FROM visit_log GROUP BY 1, 2, 3`);
      await c.query(`INSERT INTO viewer_day_counts (workspace_id, profile_id, day, viewers)
        SELECT workspace_id, profile_id, (last_viewed_at / 86400000)::integer, count(*) FROM visitor_summary GROUP BY 1, 2, 3`);
      await c.query('DELETE FROM projection_checkpoints WHERE name = $1', [this.name]);
    });
  }
}
