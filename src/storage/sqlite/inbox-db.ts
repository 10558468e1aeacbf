/**
 * The inbox database: acknowledged visits waiting to be folded into the main tables (fold.ts).
 * It is a file of its own beside the main one (`<file>-inbox`, with its own `-wal`), attached
 * to every connection as `inbox`, for one reason: SQLite lets one writer at a time into a file,
 * and folding holds the main file's write lock for a whole batch. With the inbox apart,
 * recording a visit (a write to the inbox only) never waits for a fold.
 *
 * A visit is folded once its `seq` is at most `main.fold_state.folded_through`, committed with
 * the batch; folded rows leave the inbox later. So a reader takes the inbox first and the main
 * file second, in one read transaction, and counts inbox rows above the watermark only:
 * whatever a fold commits in between, no visit is missed and none is counted twice.
 *
 * Rows are appended to one of two tables, `visit_inbox_0` and `visit_inbox_1`, and leave it
 * only all at once: deleting folded rows one by one cost 18 to 31 µs each (every row sits in
 * an index at a random place), about as much as recording them. Recording appends to the
 * active table; once it holds `SWAP_ROWS` rows and everything in the other one is folded, the
 * other one is emptied (a truncation, whatever its size) and becomes the active one. Every seq
 * of the inactive table is lower than every seq of the active one. Readers see both through
 * the view `visit_inbox`.
 */
import { SchemaTooNewError, latestVersion, type Migration } from '../migration.js';
import type { SqliteDb, SqliteSynchronous } from './database.js';

const table = (n: 0 | 1) => `
CREATE TABLE inbox.visit_inbox_${n} (
  seq INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  viewer_id TEXT NOT NULL,
  viewed_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  client_id TEXT
);
CREATE INDEX inbox.visit_inbox_${n}_pair ON visit_inbox_${n} (workspace_id, profile_id, viewer_id, viewed_at);
CREATE INDEX inbox.visit_inbox_${n}_client_id ON visit_inbox_${n} (workspace_id, client_id) WHERE client_id IS NOT NULL;
`;

const INBOX_SCHEMA = `
${table(0)}
${table(1)}
CREATE VIEW inbox.visit_inbox AS SELECT * FROM visit_inbox_0 UNION ALL SELECT * FROM visit_inbox_1;
-- The last seq handed out (seqs become visit ids when folded: never reused), which table
-- recording appends to, and the first seq appended there.
CREATE TABLE inbox.inbox_state (id INTEGER PRIMARY KEY CHECK (id = 1), last_seq INTEGER NOT NULL, active INTEGER NOT NULL, active_from INTEGER NOT NULL);
INSERT INTO inbox.inbox_state (id, last_seq, active, active_from) VALUES (1, 0, 0, 1);
-- Moves with every recording (see change_epoch in the main file's migrations).
CREATE TABLE inbox.change_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT INTO inbox.change_epoch (id, n) VALUES (1, 0);
`;

/**
 * Version 2: the visit log (docs/visit-log.md). One row per counted visit, written by the
 * transaction that acknowledges it, its position the visit's seq: strictly increasing, never
 * reused (`inbox_state.last_seq` only grows), in commit order since SQLite has one writer per
 * file. Unlike the inbox tables it is never emptied when the fold catches up: projections read
 * it from their checkpoints, and a rebuild replays it. `visit_log_state.complete_from` is the
 * first position the log holds every counted visit from: visits stored before the log existed
 * (or bulk-loaded into the main file) are below it, in `main.visits` only (a rebuild copies them
 * in first, see projections.ts). Pending inbox rows are copied in so that nothing acknowledged
 * is missing from it.
 */
/** Raises each workspace's head to the log's last entry (after entries were copied in). */
export const LOG_HEADS_FROM_LOG = `INSERT INTO inbox.visit_log_heads (workspace_id, position, recorded_at)
  SELECT workspace_id, max(position), max(recorded_at) FROM inbox.visit_log WHERE true GROUP BY workspace_id
  ON CONFLICT (workspace_id) DO UPDATE SET position = excluded.position, recorded_at = excluded.recorded_at WHERE excluded.position > visit_log_heads.position`;

const LOG_SCHEMA = `
CREATE TABLE inbox.visit_log (
  position INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  viewer_id TEXT NOT NULL,
  viewed_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  client_id TEXT,
  recorded_at INTEGER NOT NULL
);
-- The last position handed out in each workspace, moved once per group commit: a second index
-- of the log by workspace would be one more B-tree insert for every visit (measured in-process,
-- recording went from about 38,000 to 30,000 visits/s with log and index together).
CREATE TABLE inbox.visit_log_heads (workspace_id TEXT PRIMARY KEY, position INTEGER NOT NULL, recorded_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE inbox.visit_log_state (id INTEGER PRIMARY KEY CHECK (id = 1), complete_from INTEGER NOT NULL);
INSERT INTO inbox.visit_log_state (id, complete_from)
  SELECT 1, max(coalesce((SELECT max(id) FROM main.visits), 0), (SELECT folded_through FROM main.fold_state WHERE id = 1)) + 1;
INSERT INTO inbox.visit_log (position, workspace_id, profile_id, viewer_id, viewed_at, source, client_id, recorded_at)
  SELECT seq, workspace_id, profile_id, viewer_id, viewed_at, source, client_id, CAST(unixepoch('subsec') * 1000 AS INTEGER)
  FROM inbox.visit_inbox WHERE seq >= (SELECT complete_from FROM inbox.visit_log_state) ORDER BY seq;
${LOG_HEADS_FROM_LOG};
`;

/**
 * The inbox file's migrations: numbered like the main file's (migrations.ts), appended and
 * never edited, each applied once in its own transaction. The inbox records its version in its
 * own `user_version` (the main file keeps a `schema_migrations` table; the inbox had
 * `user_version` from its first release, so files already out there keep their record).
 */
export const INBOX_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'visit inbox tables, state and change epoch', sql: INBOX_SCHEMA },
  { version: 2, name: 'visit log', sql: LOG_SCHEMA },
];

/** Rows in the active table after which recording switches tables, once the other is folded. */
export const SWAP_ROWS = 20_000;

export function inboxPath(mainPath: string): string {
  return mainPath === ':memory:' ? ':memory:' : `${mainPath}-inbox`;
}

/**
 * Attaches the inbox (creating it on first use) and makes sure its sequence starts above every
 * visit id of the main file, including ids a bulk load wrote there directly; with nothing
 * pending, the fold watermark moves up to the sequence too, so that "pending" (sequence minus
 * watermark) counts only real recordings.
 */
export function attachInbox(db: SqliteDb, mainPath: string, synchronous: SqliteSynchronous): void {
  db.prepare('ATTACH DATABASE ? AS inbox').run(inboxPath(mainPath));
  db.pragma('inbox.journal_mode = WAL');
  db.pragma(`inbox.synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('inbox.journal_size_limit = 67108864');
  // The main file's page cache size (database.ts) for the inbox too: a cache size is per attached
  // file, and at SQLite's default of 2 MB the recording rule's lookups (inbox.ts) missed it once
  // a backlog of a few hundred thousand visits was pending (a bulk import), each miss a read.
  db.pragma('inbox.cache_size = -16384');
  migrateInbox(db, INBOX_MIGRATIONS, inboxPath(mainPath));
  raiseSequence(db);
}

/** The inbox file's schema version (0: a new file). */
export function inboxVersion(db: SqliteDb): number {
  return db.pragma('inbox.user_version', { simple: true }) as number;
}

/** Applies each pending inbox migration in its own transaction; returns the versions applied. */
export function migrateInbox(db: SqliteDb, migrations: readonly Migration[], path = 'inbox'): number[] {
  const known = latestVersion(migrations);
  const found = inboxVersion(db);
  if (found > known) throw new SchemaTooNewError(found, known, `the inbox database ${path}`);
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    // An inbox already up to date is opened without taking any lock.
    if (m.version <= found) continue;
    db.transaction(() => {
      // Read again under the write lock: another process may have applied it meanwhile.
      if (inboxVersion(db) >= m.version) return;
      db.exec(m.sql);
      db.pragma(`inbox.user_version = ${m.version}`);
      applied.push(m.version);
    }).immediate();
  }
  return applied;
}

/** "Pending" is asked of the visit log, which keeps what the inbox drops: after a reset of the summary (summary-projection.ts) the whole log is pending. */
function raiseSequence(db: SqliteDb): void {
  const row = db
    .prepare<[], { seq: number; top: number; folded: number; pending: number }>(
      `SELECT (SELECT last_seq FROM inbox.inbox_state WHERE id = 1) AS seq,
        max(coalesce((SELECT max(id) FROM main.visits), 0), (SELECT folded_through FROM main.fold_state)) AS top,
        (SELECT folded_through FROM main.fold_state) AS folded,
        (SELECT count(*) FROM (SELECT 1 FROM inbox.visit_log WHERE position > (SELECT folded_through FROM main.fold_state) LIMIT 1)) AS pending`,
    )
    .get()!;
  const seq = Math.max(row.seq, row.top);
  if (row.seq === seq && (row.pending > 0 || row.folded >= seq)) return;
  db.transaction(() => {
    db.prepare('UPDATE inbox.inbox_state SET last_seq = max(last_seq, ?) WHERE id = 1').run(seq);
    // Re-checked inside the transaction: another process may have recorded meanwhile.
    db.prepare(
      'UPDATE main.fold_state SET folded_through = ? WHERE id = 1 AND folded_through < ? AND NOT EXISTS (SELECT 1 FROM inbox.visit_log WHERE position > folded_through)',
    ).run(seq, seq);
  }).immediate();
}
