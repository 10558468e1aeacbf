/**
 * The visit log on SQLite (docs/visit-log.md): `inbox.visit_log`, in the inbox file, appended by
 * the recording transaction (inbox.ts). Its positions are the visits' seqs, one sequence for
 * every workspace, so a workspace's positions have gaps; each is larger than every position
 * committed before it (one writer per file). The log has no index by workspace (recording would
 * pay for it on every visit): reading one workspace's entries walks the log from the position
 * asked for, past other workspaces' entries, which costs little with few busy workspaces.
 * Heads are kept apart, in `visit_log_heads` (inbox.ts).
 */
import type { VisitLog, VisitLogEntry, VisitLogHead } from '../../core/index.js';
import type { SqliteDb } from './database.js';
import { visitLogEntryOf, type VisitLogRow } from '../rows.js';

type Row = VisitLogRow;

const entryOf = (r: Row): VisitLogEntry => visitLogEntryOf(r, r.position);

export class SqliteVisitLog implements VisitLog {
  private readAfter;
  private headRows;
  private count;

  constructor(db: SqliteDb) {
    this.readAfter = db.prepare<[string, number, number], Row>(
      `SELECT position, workspace_id, profile_id, viewer_id, viewed_at, source, client_id, recorded_at FROM inbox.visit_log
        WHERE workspace_id = ? AND position > ? ORDER BY position LIMIT ?`,
    );
    this.headRows = db.prepare<[], { workspace_id: string; position: number; recorded_at: number }>(
      'SELECT workspace_id, position, recorded_at FROM inbox.visit_log_heads ORDER BY workspace_id',
    );
    this.count = db.prepare<[string, number, string, number], { entries: number; oldest: number | null }>(
      `SELECT (SELECT count(*) FROM inbox.visit_log WHERE workspace_id = ? AND position > ?) AS entries,
        (SELECT recorded_at FROM inbox.visit_log WHERE workspace_id = ? AND position > ? ORDER BY position LIMIT 1) AS oldest`,
    );
  }

  async read(workspaceId: string, after: number, limit: number): Promise<VisitLogEntry[]> {
    return this.readAfter.all(workspaceId, after, limit).map(entryOf);
  }

  async heads(): Promise<VisitLogHead[]> {
    return this.headRows.all().map((h) => ({ workspaceId: h.workspace_id, position: h.position, recordedAt: h.recorded_at }));
  }

  async behind(workspaceId: string, after: number): Promise<{ entries: number; oldestRecordedAt: number | null }> {
    const r = this.count.get(workspaceId, after, workspaceId, after)!;
    return { entries: r.entries, oldestRecordedAt: r.oldest };
  }
}
