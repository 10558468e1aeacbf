import type pg from 'pg';
import { slotOf, type PurgeCounts, type RetentionStore } from '../../core/index.js';
import type { PgDatabase } from './database.js';
import { listPartitions, type VisitPartitions } from './partitions.js';

/**
 * Recomputes the summaries of these pairs from their visits at or after `from`, under the
 * summaries' row locks (taken in key order, as recording takes them): a pair with none left
 * loses its summary and its one count in the day histogram, others get their count and first
 * view again (their last view is newer than `from`, so it and its source stand). Idempotent:
 * it reads what is stored, whatever an earlier, interrupted run did.
 */
const FIX_PAIRS = `WITH pairs AS (
    SELECT DISTINCT w, p, v FROM unnest($1::text[], $2::text[], $3::text[]) AS t(w, p, v)
  ), locked AS (
    SELECT s.workspace_id, s.profile_id, s.viewer_id, s.view_count, s.first_viewed_at, s.last_viewed_at
    FROM visitor_summary s JOIN pairs ON s.workspace_id = pairs.w AND s.profile_id = pairs.p AND s.viewer_id = pairs.v
    ORDER BY s.workspace_id, s.profile_id, s.viewer_id FOR UPDATE OF s
  ), kept AS (
    SELECT l.*, r.n, r.f FROM locked l CROSS JOIN LATERAL (
      SELECT count(*) AS n, min(viewed_at) AS f FROM visits v
      WHERE v.workspace_id = l.workspace_id AND v.profile_id = l.profile_id AND v.viewer_id = l.viewer_id AND v.viewed_at >= $4
    ) r
  ), removed AS (
    DELETE FROM visitor_summary s USING kept k
    WHERE k.n = 0 AND s.workspace_id = k.workspace_id AND s.profile_id = k.profile_id AND s.viewer_id = k.viewer_id
    RETURNING s.workspace_id, s.profile_id, s.last_viewed_at
  ), days AS (
    UPDATE viewer_day_counts d SET viewers = d.viewers - g.n
    FROM (SELECT workspace_id, profile_id, (last_viewed_at / 86400000)::int AS day, count(*) AS n FROM removed GROUP BY 1, 2, 3) g
    WHERE d.workspace_id = g.workspace_id AND d.profile_id = g.profile_id AND d.day = g.day
  ), changed AS (
    UPDATE visitor_summary s SET view_count = k.n, first_viewed_at = k.f
    FROM kept k
    WHERE k.n > 0 AND (k.n <> k.view_count OR k.f <> k.first_viewed_at)
      AND s.workspace_id = k.workspace_id AND s.profile_id = k.profile_id AND s.viewer_id = k.viewer_id
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM removed) AS removed, (SELECT count(*) FROM changed) AS changed`;

/** Log positions looked at per chunk of the visit log's walk. */
const LOG_CHUNK = 5_000;

/** Pairs per transaction when a whole month's pairs are put right before it is dropped. */
const PAIRS_PER_FIX = 1_000;

async function fixPairs(c: pg.ClientBase, pairs: { w: string; p: string; v: string }[], from: number) {
  if (pairs.length === 0) return { removed: 0, changed: 0 };
  const { rows } = await c.query<{ removed: string; changed: string }>(FIX_PAIRS, [pairs.map((x) => x.w), pairs.map((x) => x.p), pairs.map((x) => x.v), from]);
  return { removed: Number(rows[0]!.removed), changed: Number(rows[0]!.changed) };
}

/**
 * Retention on PostgreSQL. Months wholly older than every workspace's cutoff are dropped as
 * whole partitions (no row-by-row delete, no bloat); before one goes, the summaries of the
 * pairs it holds are recomputed without it, a thousand pairs per transaction. What is left
 * goes in batches of rows, each batch one transaction with its summaries. Then the visit log
 * (docs/visit-log.md) is walked by position in chunks, its entries older than the cutoff
 * deleted: it has no index by time, which every recording would pay for.
 */
export class PgRetention implements RetentionStore {
  /** Where each workspace's walk of the visit log has got to in this process (absent: not started). */
  private logCursor = new Map<string, number>();

  constructor(
    private db: PgDatabase,
    private partitions: VisitPartitions,
  ) {}

  async dropWholeRanges(cutoff: number): Promise<number> {
    const old = (await listPartitions(this.db.pool)).filter((p) => p.to <= cutoff).sort((a, b) => a.from - b.from);
    for (const p of old) {
      // Keyset over the partition's (workspace, profile, viewer) index: each pair once.
      let after = ['', '', ''];
      for (;;) {
        const pairs = await this.db.query<{ w: string; p: string; v: string }>(
          `SELECT DISTINCT workspace_id AS w, profile_id AS p, viewer_id AS v FROM ${p.name}
           WHERE (workspace_id, profile_id, viewer_id) > ($1, $2, $3) ORDER BY 1, 2, 3 LIMIT ${PAIRS_PER_FIX}`,
          after,
        );
        if (pairs.length === 0) break;
        await this.db.transaction((c) => fixPairs(c, pairs, p.to));
        const last = pairs[pairs.length - 1]!;
        after = [last.w, last.p, last.v];
      }
      await this.partitions.dropBefore(p.to);
    }
    return old.length;
  }

  async purgeBatch(workspaceId: string, cutoff: number, limit: number): Promise<PurgeCounts & { done: boolean }> {
    const after = this.logCursor.get(workspaceId);
    if (after !== undefined) {
      const [r] = await this.db.query<{ last: string | null; n: string; deleted: string }>(
        `WITH chunk AS (SELECT position, viewed_at FROM visit_log WHERE workspace_id = $1 AND position > $2 ORDER BY position LIMIT ${LOG_CHUNK}),
         gone AS (DELETE FROM visit_log l USING chunk WHERE l.workspace_id = $1 AND l.position = chunk.position AND chunk.viewed_at < $3 RETURNING 1)
         SELECT (SELECT max(position) FROM chunk) AS last, (SELECT count(*) FROM chunk) AS n, (SELECT count(*) FROM gone) AS deleted`,
        [workspaceId, after, cutoff],
      );
      const more = Number(r!.n) === LOG_CHUNK;
      if (more) this.logCursor.set(workspaceId, Number(r!.last));
      else {
        this.logCursor.delete(workspaceId);
        // Last, the insights projection's whole slots before the cutoff (docs/insights.md,
        // "Retention"), with the versions of the profiles losing them, in one transaction.
        await this.db.transaction(async (c) => {
          await c.query(
            `INSERT INTO insight_versions AS v (workspace_id, profile_id, version)
              SELECT DISTINCT workspace_id, profile_id, 1 FROM insight_slots WHERE workspace_id = $1 AND slot < $2 ORDER BY profile_id
              ON CONFLICT (workspace_id, profile_id) DO UPDATE SET version = v.version + 1`,
            [workspaceId, slotOf(cutoff)],
          );
          for (const table of ['insight_slots', 'insight_viewer_slots']) {
            await c.query(`DELETE FROM ${table} WHERE workspace_id = $1 AND slot < $2`, [workspaceId, slotOf(cutoff)]);
          }
        });
      }
      return { visits: 0, pairsRemoved: 0, pairsChanged: 0, logEntries: Number(r!.deleted), done: !more };
    }
    const batch = await this.visitsBatch(workspaceId, cutoff, limit);
    if (batch.visits === 0) this.logCursor.set(workspaceId, 0);
    return { ...batch, done: false };
  }

  private async visitsBatch(workspaceId: string, cutoff: number, limit: number): Promise<PurgeCounts> {
    return this.db.transaction(async (c) => {
      const { rows } = await c.query<{ id: string; profile_id: string; viewer_id: string; client_id: string | null }>(
        'SELECT id, profile_id, viewer_id, client_id FROM visits WHERE workspace_id = $1 AND viewed_at < $2 ORDER BY viewed_at LIMIT $3',
        [workspaceId, cutoff, limit],
      );
      if (rows.length === 0) return { visits: 0, pairsRemoved: 0, pairsChanged: 0, logEntries: 0 };
      // The old rows first, then the summaries (locked in key order): recording never touches
      // these rows, and erasing a member takes the same order; a deadlock is retried anyway.
      const pairs = rows.map((r) => ({ w: workspaceId, p: r.profile_id, v: r.viewer_id }));
      const deleted = await c.query('DELETE FROM visits WHERE workspace_id = $1 AND viewed_at < $2 AND id = ANY($3::int8[])', [
        workspaceId,
        cutoff,
        rows.map((r) => r.id),
      ]);
      const fixed = await fixPairs(c, pairs, cutoff);
      const clientIds = rows.flatMap((r) => (r.client_id === null ? [] : [r.client_id]));
      if (clientIds.length > 0) await c.query('DELETE FROM visit_client_ids WHERE workspace_id = $1 AND client_id = ANY($2::text[])', [workspaceId, clientIds]);
      return { visits: deleted.rowCount ?? 0, pairsRemoved: fixed.removed, pairsChanged: fixed.changed, logEntries: 0 };
    });
  }

  async countExpired(workspaceId: string, cutoff: number): Promise<PurgeCounts> {
    const [r] = await this.db.query<{ visits: string; removed: string; changed: string; log: string }>(
      `SELECT (SELECT count(*) FROM visits WHERE workspace_id = $1 AND viewed_at < $2) AS visits,
        (SELECT count(*) FROM visitor_summary WHERE workspace_id = $1 AND last_viewed_at < $2) AS removed,
        (SELECT count(*) FROM visitor_summary WHERE workspace_id = $1 AND first_viewed_at < $2 AND last_viewed_at >= $2) AS changed,
        (SELECT count(*) FROM visit_log WHERE workspace_id = $1 AND viewed_at < $2) AS log`,
      [workspaceId, cutoff],
    );
    return { visits: Number(r!.visits), pairsRemoved: Number(r!.removed), pairsChanged: Number(r!.changed), logEntries: Number(r!.log) };
  }
}
