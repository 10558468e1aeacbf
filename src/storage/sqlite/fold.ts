/**
 * Folding acknowledged visits from the inbox (inbox-db.ts) into the tables reads are built on:
 * the raw `visits`, the per-(profile, viewer) `visitor_summary` and the `viewer_day_counts`
 * histogram.
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
 * A batch is the oldest visits above the watermark `fold_state.folded_through`, which moves to
 * the batch's last seq in the same transaction. They are copied out of the inbox first, in a
 * short transaction of their own (`FOLD_TAKE_SQL`): a transaction that reads the inbox keeps a
 * snapshot of it, and while one is open the inbox's WAL can neither be checkpointed past it nor
 * start over from its beginning: folding inside the one transaction held a snapshot almost all
 * the time, and the WAL of a few-MB inbox grew to hundreds of MB, every commit extending the
 * file (docs/benchmarks.md, writes item 8).
 * The write transaction's first statement writes to the main file, so it holds the main write
 * lock (and only that one: recording goes on in the inbox meanwhile) before it reads the
 * watermark, and it drops what another folder folded since the copy: two folders never fold
 * the same visits. Log entries never change once written, but an erase or the retention purge
 * may delete some between the copy and the fold: folded, they would come back into the lists.
 * Both delete in a transaction that also writes the main file, so none can commit while the fold
 * holds the main write lock; the fold's last step (`FOLD_STALE_SQL`) asks whether every copied
 * entry is still logged, and a batch that lost one is rolled back and taken again. Asked last,
 * not first, because a read of the inbox holds its snapshot until the commit (see above).
 * Folded rows leave the inbox later, a whole table at a time (inbox-db.ts): the fold writes only
 * the main file.
 *
 * Every write is `OR FAIL`, none is an upsert (new and existing rows are written by separate
 * statements), and none calls `min()` or `max()` of two values (a CASE picks instead). A
 * statement that may abort halfway keeps a copy of every page it changes (the statement
 * journal), which for a batch is about as many pages as it dirties: a 1,000-visit batch copied
 * some 20 MB, in 1 KB allocations that the allocator returned to the system and faulted back in
 * for the next batch (most of the third of the fold thread's time that a profile of single
 * visits on the full bench file put in growing the heap). A function call may fail, so SQLite
 * counts a two-value `min()` as such a statement: the summary update copied about 5,000 pages
 * per batch for its `min()` and `max()` (docs/benchmarks.md, writes item 7). The batch is one
 * transaction, undone whole if any of it fails, so a statement never needs undoing on its own.
 * One journal is left since SQLite 3.54: an INSERT of several rows that names the rowid (the
 * raw visits, by seq) may fail its integer check, so it keeps one whatever its conflict clause.
 * The fold thread keeps it in a temporary file rather than in memory (fold-worker.ts, writes
 * item 10).
 */
import type { SqliteDb } from './database.js';

/** Connection-local scratch tables; created once per connection before the fold is prepared. */
export const FOLD_SETUP_SQL: readonly string[] = [
  `CREATE TEMP TABLE IF NOT EXISTS fold_batch (
    seq INTEGER PRIMARY KEY, workspace_id TEXT, profile_id TEXT, viewer_id TEXT, viewed_at INTEGER, source TEXT, client_id TEXT)`,
  'CREATE INDEX IF NOT EXISTS temp.fold_batch_pair ON fold_batch (workspace_id, profile_id, viewer_id, viewed_at, seq)',
  `CREATE TEMP TABLE IF NOT EXISTS fold_pairs (
    workspace_id TEXT, profile_id TEXT, viewer_id TEXT, n INTEGER, first INTEGER, last INTEGER, source TEXT, old_last INTEGER)`,
  `CREATE TEMP TABLE IF NOT EXISTS fold_days (
    workspace_id TEXT, profile_id TEXT, day INTEGER, d INTEGER, PRIMARY KEY (workspace_id, profile_id, day)) WITHOUT ROWID`,
];

/**
 * Copies up to `@limit` of the oldest pending visits out of the inbox, in a transaction of its
 * own; the last statement's changes are the number taken.
 */
export const FOLD_TAKE_SQL: readonly string[] = [
  'DELETE FROM temp.fold_batch',
  // From the visit log (docs/visit-log.md): the fold is the summary projection, its checkpoint
  // `folded_through`. The log holds the same rows as the inbox, by the same seq.
  `INSERT OR FAIL INTO temp.fold_batch SELECT position, workspace_id, profile_id, viewer_id, viewed_at, source, client_id
    FROM inbox.visit_log WHERE position > (SELECT folded_through FROM main.fold_state WHERE id = 1) ORDER BY position LIMIT @limit`,
];

/** Folds the copied batch, in order, inside one transaction that reads only the main file and temp tables. */
export const FOLD_SQL: readonly string[] = [
  'UPDATE main.fold_state SET folded_through = folded_through WHERE id = 1',
  // Folded by another process since the copy (the watermark is read under the write lock).
  'DELETE FROM temp.fold_batch WHERE seq <= (SELECT folded_through FROM main.fold_state WHERE id = 1)',
  'DELETE FROM temp.fold_pairs',
  `INSERT OR FAIL INTO main.visits (id, workspace_id, profile_id, viewer_id, viewed_at, source, client_id)
    SELECT seq, workspace_id, profile_id, viewer_id, viewed_at, source, client_id FROM temp.fold_batch
    ORDER BY workspace_id, profile_id, viewer_id, viewed_at`,
  `INSERT OR FAIL INTO temp.fold_pairs
    SELECT b.workspace_id, b.profile_id, b.viewer_id, count(*), min(b.viewed_at), max(b.viewed_at),
      (SELECT x.source FROM temp.fold_batch x
        WHERE x.workspace_id = b.workspace_id AND x.profile_id = b.profile_id AND x.viewer_id = b.viewer_id
        ORDER BY x.viewed_at DESC, x.seq DESC LIMIT 1),
      (SELECT s.last_viewed_at FROM main.visitor_summary s
        WHERE s.workspace_id = b.workspace_id AND s.profile_id = b.profile_id AND s.viewer_id = b.viewer_id)
    FROM temp.fold_batch b GROUP BY b.workspace_id, b.profile_id, b.viewer_id`,
  'DELETE FROM temp.fold_days',
  // Days are integer divisions of non-negative epoch milliseconds, as in viewer-days.ts.
  `INSERT OR FAIL INTO temp.fold_days
    SELECT workspace_id, profile_id, day, sum(d) FROM (
      SELECT workspace_id, profile_id, (CASE WHEN old_last > last THEN old_last ELSE last END) / 86400000 AS day, 1 AS d FROM temp.fold_pairs
      UNION ALL
      SELECT workspace_id, profile_id, old_last / 86400000, -1 FROM temp.fold_pairs WHERE old_last IS NOT NULL
    ) GROUP BY workspace_id, profile_id, day HAVING sum(d) <> 0`,
  // Driven by the batch's days (an IN list on the primary key), not by the table.
  `UPDATE OR FAIL main.viewer_day_counts AS c SET viewers = c.viewers +
      (SELECT f.d FROM temp.fold_days f WHERE f.workspace_id = c.workspace_id AND f.profile_id = c.profile_id AND f.day = c.day)
    WHERE (workspace_id, profile_id, day) IN (SELECT workspace_id, profile_id, day FROM temp.fold_days)`,
  `INSERT OR FAIL INTO main.viewer_day_counts (workspace_id, profile_id, day, viewers)
    SELECT workspace_id, profile_id, day, d FROM temp.fold_days f
    WHERE NOT EXISTS (SELECT 1 FROM main.viewer_day_counts c WHERE c.workspace_id = f.workspace_id AND c.profile_id = f.profile_id AND c.day = f.day)
    ORDER BY workspace_id, profile_id, day`,
  // A pair with no summary row has no old_last: that read was made in this transaction, which
  // holds the main file's write lock.
  `UPDATE OR FAIL main.visitor_summary AS s SET
      view_count = s.view_count + p.n,
      first_viewed_at = CASE WHEN p.first < s.first_viewed_at THEN p.first ELSE s.first_viewed_at END,
      last_source = CASE WHEN p.last >= s.last_viewed_at THEN p.source ELSE s.last_source END,
      last_viewed_at = CASE WHEN p.last > s.last_viewed_at THEN p.last ELSE s.last_viewed_at END
    FROM temp.fold_pairs p
    WHERE p.old_last IS NOT NULL AND s.workspace_id = p.workspace_id AND s.profile_id = p.profile_id AND s.viewer_id = p.viewer_id`,
  `INSERT OR FAIL INTO main.visitor_summary (workspace_id, profile_id, viewer_id, view_count, first_viewed_at, last_viewed_at, last_source)
    SELECT workspace_id, profile_id, viewer_id, n, first, last, source FROM temp.fold_pairs WHERE old_last IS NULL
    ORDER BY workspace_id, profile_id, viewer_id`,
  `UPDATE main.fold_state SET folded_through = (SELECT max(seq) FROM temp.fold_batch)
    WHERE id = 1 AND EXISTS (SELECT 1 FROM temp.fold_batch)`,
];

/**
 * Asked inside the fold transaction, after its writes: how many copied entries an erase or the
 * purge took out of the log since the copy.
 */
const FOLD_STALE_SQL = 'SELECT count(*) FROM temp.fold_batch b WHERE NOT EXISTS (SELECT 1 FROM inbox.visit_log l WHERE l.position = b.seq)';

class StaleFoldBatch extends Error {}

type Statement = ReturnType<SqliteDb['prepare']>;
interface FoldStatements {
  take: Statement[];
  fold: Statement[];
  limit: number;
  takeTx(): number;
  foldTx(): void;
}
const prepared = new WeakMap<SqliteDb, FoldStatements>();

function statements(db: SqliteDb): FoldStatements {
  let s = prepared.get(db);
  if (!s) {
    for (const sql of FOLD_SETUP_SQL) db.exec(sql);
    const stale = db.prepare<[], number>(FOLD_STALE_SQL).pluck();
    const run = (stmt: Statement) => (stmt.source.includes('@limit') ? stmt.run({ limit: s!.limit }) : (stmt as unknown as { run(): { changes: number } }).run());
    s = {
      take: FOLD_TAKE_SQL.map((sql) => db.prepare(sql)),
      fold: FOLD_SQL.map((sql) => db.prepare(sql)),
      limit: 0,
      takeTx: db.transaction(() => s!.take.map(run).at(-1)!.changes),
      foldTx: db.transaction(() => {
        s!.fold.forEach(run);
        if (stale.get()! > 0) throw new StaleFoldBatch();
      }),
    };
    prepared.set(db, s);
  }
  return s;
}

/**
 * Copies up to `limit` of the oldest pending visits out of the log into this connection's batch
 * (`FOLD_TAKE_SQL`), in a transaction of its own; returns how many.
 */
export function takeBatch(db: SqliteDb, limit: number): number {
  const s = statements(db);
  s.limit = limit;
  return s.takeTx();
}

/**
 * Folds the batch last taken on this connection, in one transaction (`FOLD_SQL`). False, with
 * nothing written, when an erase or the purge took some of its entries out of the log since the
 * take: take again.
 */
export function foldTaken(db: SqliteDb): boolean {
  try {
    statements(db).foldTx();
    return true;
  } catch (err) {
    if (err instanceof StaleFoldBatch) return false;
    throw err;
  }
}

/**
 * Folds up to `limit` of the oldest pending visits; returns how many it took from the log
 * (another process may have folded some of them meanwhile). In this thread, on this
 * connection: the fold thread (fold-worker.ts) takes and folds the same way on a connection of
 * its own.
 */
export function foldPending(db: SqliteDb, limit: number): number {
  for (;;) {
    const taken = takeBatch(db, limit);
    if (taken === 0 || foldTaken(db)) return taken;
  }
}
