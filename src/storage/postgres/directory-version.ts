/**
 * The directory version on PostgreSQL (docs/insights.md, "Kept results"): a token that moves
 * after every change to what breakdowns read besides the projection (members' cards and
 * visibility, members created or erased, connections, blocks), made by any process, so that
 * breakdowns computed under it can be kept (core/use-cases/insights-kept.ts). SQLite's
 * equivalent is the main file's change epoch, a row moved inside every write transaction.
 *
 * A row here would be that too, and every member write would then queue on its lock until
 * commit: recording with inline profiles merges members inside transactions on every pooled
 * connection of every process. So it is a sequence: `nextval` never waits for another
 * transaction (it takes no row lock, and is not undone by a rollback), and reading the
 * sequence's row (`last_value`) sees every `nextval` made so far, committed or not.
 *
 * A sequence is not transactional, so the order is what makes a kept result exact: each write
 * path moves it AFTER its transaction commits, and the reader reads it BEFORE computing. A write
 * acknowledged to its client has moved it; a reader that then reads the version gets a value
 * handed out after that commit, and whoever computed under that value started computing after
 * reading it, so from data that includes the write. (Moved before the commit instead, a reader
 * could take the new value, compute from data without the write, and keep the stale result
 * under the new value for good.) A result computed meanwhile from older data is kept only under
 * an older value, which nobody reads again.
 *
 * What is left: a process that stops between its commit and its `nextval` (a crash, a lost
 * connection) leaves the version unmoved, and results computed before that commit would be
 * reused until the next change anywhere. DIRECTORY_MAX_AGE_MS bounds that: breakdowns kept on
 * PostgreSQL are computed again after it, whatever the version says.
 */
import type { PgDatabase } from './database.js';

/**
 * The version as an SQL expression: 0 until the first change (a fresh sequence reads
 * `last_value` 1 with `is_called` false, and 1 again after its first `nextval`).
 */
export const DIRECTORY_VERSION_SQL = '(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM directory_version)';

/** How long breakdowns are kept at most on PostgreSQL (see above); a full-scale celebrity's month takes seconds to compute. */
export const DIRECTORY_MAX_AGE_MS = 60_000;

/**
 * Called by every PostgreSQL write path that changed what breakdowns read, after its commit:
 * members.ts (a member created, a breakdown field changed, an erase), connections.ts and
 * blocks.ts (a row added or removed). One statement on a pooled connection, waiting for nobody.
 * The write it follows is committed: if moving the version fails, the write is not reported as
 * failed (its client would retry something done); the failure is logged, and
 * DIRECTORY_MAX_AGE_MS bounds what it leaves stale.
 */
export async function directoryChanged(db: PgDatabase): Promise<void> {
  try {
    await db.query({ name: 'directory_changed', text: "SELECT nextval('directory_version')" });
  } catch (err) {
    console.error(`PostgreSQL: could not move the directory version after a committed write (kept breakdowns may lag up to ${DIRECTORY_MAX_AGE_MS} ms): ${err instanceof Error ? err.message : String(err)}`);
  }
}
