/**
 * Folding acknowledged visits from `visit_inbox` into the tables reads are built on: the raw
 * `visits`, the per-(profile, viewer) `visitor_summary` and the `viewer_day_counts` histogram.
 *
 * Set-based, so a batch costs a few statements whatever its size, and each table is written in
 * its own key order (consecutive rows land on the same B-tree pages). The result is the same as
 * applying the visits one by one in `seq` order, which is what recording did before the inbox:
 * - a pair's count, first and last view add up; its last source is that of its latest view,
 *   the later-recorded one on a tie, and a pending view as late as the stored last one wins
 *   (the old per-visit update used `>=`);
 * - the histogram moves a pair from the day of its previous last view to the day of its new
 *   one, which for a chain of visits nets out to one move from the first day to the last.
 * Visits were deduplicated when they were recorded, so everything in the inbox counts.
 *
 * The batch's inbox rows are deleted in the same transaction: a visit is pending or folded,
 * never both, in any snapshot a reader takes.
 */
import type { SqliteDb } from './database.js';

/** Statements run in order inside one write transaction; `@limit` bounds the batch. */
export const FOLD_SQL: readonly string[] = [
  `CREATE TEMP TABLE IF NOT EXISTS fold_batch (
    seq INTEGER PRIMARY KEY, workspace_id TEXT, profile_id TEXT, viewer_id TEXT, viewed_at INTEGER, source TEXT, client_id TEXT)`,
  'CREATE INDEX IF NOT EXISTS temp.fold_batch_pair ON fold_batch (workspace_id, profile_id, viewer_id, viewed_at, seq)',
  `CREATE TEMP TABLE IF NOT EXISTS fold_pairs (
    workspace_id TEXT, profile_id TEXT, viewer_id TEXT, n INTEGER, first INTEGER, last INTEGER, source TEXT, old_last INTEGER)`,
  'DELETE FROM temp.fold_batch',
  'DELETE FROM temp.fold_pairs',
  // The oldest pending visits first, so none waits behind later ones indefinitely.
  `INSERT INTO temp.fold_batch SELECT seq, workspace_id, profile_id, viewer_id, viewed_at, source, client_id
    FROM visit_inbox ORDER BY seq LIMIT @limit`,
  `INSERT INTO visits (id, workspace_id, profile_id, viewer_id, viewed_at, source, client_id)
    SELECT seq, workspace_id, profile_id, viewer_id, viewed_at, source, client_id FROM temp.fold_batch
    ORDER BY workspace_id, profile_id, viewer_id, viewed_at`,
  `INSERT INTO temp.fold_pairs
    SELECT b.workspace_id, b.profile_id, b.viewer_id, count(*), min(b.viewed_at), max(b.viewed_at),
      (SELECT x.source FROM temp.fold_batch x
        WHERE x.workspace_id = b.workspace_id AND x.profile_id = b.profile_id AND x.viewer_id = b.viewer_id
        ORDER BY x.viewed_at DESC, x.seq DESC LIMIT 1),
      (SELECT s.last_viewed_at FROM visitor_summary s
        WHERE s.workspace_id = b.workspace_id AND s.profile_id = b.profile_id AND s.viewer_id = b.viewer_id)
    FROM temp.fold_batch b GROUP BY b.workspace_id, b.profile_id, b.viewer_id`,
  // Days are integer divisions of non-negative epoch milliseconds, as in viewer-days.ts.
  `INSERT INTO viewer_day_counts (workspace_id, profile_id, day, viewers)
    SELECT workspace_id, profile_id, day, sum(d) FROM (
      SELECT workspace_id, profile_id, max(coalesce(old_last, last), last) / 86400000 AS day, 1 AS d FROM temp.fold_pairs
      UNION ALL
      SELECT workspace_id, profile_id, old_last / 86400000, -1 FROM temp.fold_pairs WHERE old_last IS NOT NULL
    ) GROUP BY workspace_id, profile_id, day HAVING sum(d) <> 0
    ON CONFLICT (workspace_id, profile_id, day) DO UPDATE SET viewers = viewers + excluded.viewers`,
  `INSERT INTO visitor_summary (workspace_id, profile_id, viewer_id, view_count, first_viewed_at, last_viewed_at, last_source)
    SELECT workspace_id, profile_id, viewer_id, n, first, last, source FROM temp.fold_pairs WHERE true
    ORDER BY workspace_id, profile_id, viewer_id
    ON CONFLICT (workspace_id, profile_id, viewer_id) DO UPDATE SET
      view_count = view_count + excluded.view_count,
      first_viewed_at = min(first_viewed_at, excluded.first_viewed_at),
      last_source = CASE WHEN excluded.last_viewed_at >= last_viewed_at THEN excluded.last_source ELSE last_source END,
      last_viewed_at = max(last_viewed_at, excluded.last_viewed_at)`,
  'DELETE FROM visit_inbox WHERE seq IN (SELECT seq FROM temp.fold_batch)',
];

/** The statement whose change count is the number of visits folded. */
const FOLDED_BY = FOLD_SQL.findIndex((s) => s.startsWith('DELETE FROM visit_inbox'));

/** Folds up to `limit` of the oldest pending visits in one transaction; returns how many. */
export function foldPending(db: SqliteDb, limit: number): number {
  const statements = prepared(db);
  return db.transaction(() => {
    let folded = 0;
    statements.forEach((s, i) => {
      const r = s.source.includes('@limit') ? s.run({ limit }) : (s as unknown as { run(): { changes: number } }).run();
      if (i === FOLDED_BY) folded = r.changes;
    });
    return folded;
  }).immediate();
}

type Statement = ReturnType<SqliteDb['prepare']>;
const cache = new WeakMap<SqliteDb, Statement[]>();

function prepared(db: SqliteDb) {
  let s = cache.get(db);
  if (!s) {
    // The temp objects must exist before the statements that use them are prepared.
    for (const sql of FOLD_SQL.slice(0, 3)) db.exec(sql);
    s = FOLD_SQL.map((sql) => db.prepare(sql));
    cache.set(db, s);
  }
  return s;
}
