/**
 * The summary projection on SQLite (docs/visit-log.md): the raw visits, the per-(profile,
 * viewer) summary and the per-day histogram of last views, built from the visit log by the fold
 * (fold.ts) in the fold thread (folder.ts). Its checkpoint is `main.fold_state.folded_through`,
 * committed with every batch; it is one for all workspaces, the fold applying the log in the
 * order of its global positions, so `apply` must be given entries in that order too (the runner
 * never calls it: the store drives this projection).
 */
import type Database from 'better-sqlite3';
import type { Projection, VisitLogEntry } from '../../core/index.js';
import type { SqliteDb } from './database.js';
import { FOLD_SETUP_SQL, FOLD_SQL, FOLD_TAKE_SQL } from './fold.js';
import { LOG_HEADS_FROM_LOG } from './inbox-db.js';
import type { SqliteWrites } from './writes.js';

export const SUMMARY_PROJECTION = 'summary';

type Statement = Database.Statement<unknown[]>;
type Batch = Database.Statement<[number, string, string, string, number, string, string | null]>;

export class SqliteSummaryProjection implements Projection {
  readonly name = SUMMARY_PROJECTION;
  readonly drivenBy = 'store' as const;
  private checkpointOf;
  private statements: { take: Statement[]; fold: Statement[]; clearBatch: Database.Statement<[]>; addToBatch: Batch; reset: Database.Statement<[]>[] } | undefined;

  constructor(
    private db: SqliteDb,
    private writes: SqliteWrites,
  ) {
    this.checkpointOf = db.prepare<[], number>('SELECT folded_through FROM main.fold_state WHERE id = 1').pluck();
  }

  async checkpoint(): Promise<number> {
    return this.checkpointOf.get()!;
  }

  async apply(_workspaceId: string, entries: readonly VisitLogEntry[]): Promise<void> {
    const s = this.prepare();
    // Folding changes nothing a reader sees (they merge the inbox above the checkpoint).
    await this.writes.main('unseen', () => {
      s.clearBatch.run();
      for (const e of entries) {
        s.addToBatch.run(e.position, e.workspaceId, e.profileId, e.viewerId, e.viewedAt, e.source, e.visitId === String(e.position) ? null : e.visitId);
      }
      // FOLD_SQL leaves out what the checkpoint covers, under the write lock.
      for (const stmt of s.fold) run(stmt, 0);
    });
  }

  async reset(): Promise<void> {
    const s = this.prepare();
    await this.writes.both('everything', () => this.resetIn(s));
  }

  /**
   * Reset and replay in one transaction: readers see the old projection until it commits, then
   * the new one, never a half-built one (they merge only visits above the checkpoint from the
   * inbox). Recordings wait meanwhile (the inbox is written too, see `resetIn`).
   */
  async rebuild(): Promise<void> {
    const s = this.prepare();
    await this.writes.both('everything', () => {
      this.resetIn(s);
      for (;;) {
        const taken = s.take.map((stmt) => run(stmt, 5_000)).at(-1)!;
        if (taken === 0) break;
        for (const stmt of s.fold) run(stmt, 0);
      }
    });
  }

  private resetIn(s: NonNullable<typeof this.statements>): void {
    for (const stmt of s.reset) stmt.run();
  }

  private prepare() {
    if (!this.statements) {
      for (const sql of FOLD_SETUP_SQL) this.db.exec(sql);
      this.statements = {
        take: FOLD_TAKE_SQL.map((sql) => this.db.prepare<unknown[]>(sql)),
        fold: FOLD_SQL.map((sql) => this.db.prepare<unknown[]>(sql)),
        clearBatch: this.db.prepare<[]>('DELETE FROM temp.fold_batch'),
        addToBatch: this.db.prepare<[number, string, string, string, number, string, string | null]>(
          'INSERT INTO temp.fold_batch (seq, workspace_id, profile_id, viewer_id, viewed_at, source, client_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ),
        reset: [
          // Visits stored before the log existed are in main.visits only: copied into the log
          // first, at their ids, so that the replay finds every visit (inbox-db.ts).
          `INSERT INTO inbox.visit_log (position, workspace_id, profile_id, viewer_id, viewed_at, source, client_id, recorded_at)
            SELECT id, workspace_id, profile_id, viewer_id, viewed_at, source, client_id, CAST(unixepoch('subsec') * 1000 AS INTEGER)
            FROM main.visits WHERE id < (SELECT complete_from FROM inbox.visit_log_state WHERE id = 1) ORDER BY id
            ON CONFLICT DO NOTHING`,
          'UPDATE inbox.visit_log_state SET complete_from = 1 WHERE id = 1',
          LOG_HEADS_FROM_LOG,
          'DELETE FROM main.visits',
          'DELETE FROM main.visitor_summary',
          'DELETE FROM main.viewer_day_counts',
          'UPDATE main.fold_state SET folded_through = 0 WHERE id = 1',
        ].map((sql) => this.db.prepare<[]>(sql)),
      };
    }
    return this.statements;
  }
}

function run(stmt: Statement, limit: number): number {
  return (stmt.source.includes('@limit') ? stmt.run({ limit }) : stmt.run()).changes;
}
