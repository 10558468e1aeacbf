/**
 * The visit log on PostgreSQL (docs/visit-log.md): `visit_log`, appended by the recording
 * transaction (visits.ts) at positions taken from the workspace's `visit_log_heads` row, which
 * that transaction holds locked until it commits: positions are dense and commit in order, in
 * any number of server processes.
 */
import type { VisitLog, VisitLogEntry, VisitLogHead } from '../../core/index.js';
import type { PgDatabase } from './database.js';
import { visitLogEntryOf, type VisitLogRow } from '../rows.js';

type Row = VisitLogRow & { visit_id: number; };

const entryOf = (r: Row): VisitLogEntry => visitLogEntryOf(r, r.visit_id);

export class PgVisitLog implements VisitLog {
  constructor(private db: PgDatabase) {}

  async read(workspaceId: string, after: number, limit: number): Promise<VisitLogEntry[]> {
    const rows = await this.db.query<Row>({
      name: 'visit_log_read',
      text: `SELECT workspace_id, position, visit_id, profile_id, viewer_id, viewed_at, source, client_id, recorded_at FROM visit_log
        WHERE workspace_id = $1 AND position > $2 ORDER BY position LIMIT $3`,
      values: [workspaceId, after, limit],
    });
    return rows.map(entryOf);
  }

  async heads(): Promise<VisitLogHead[]> {
    const rows = await this.db.query<{ workspace_id: string; position: number; recorded_at: number }>(
      'SELECT workspace_id, position, recorded_at FROM visit_log_heads ORDER BY workspace_id',
    );
    return rows.map((r) => ({ workspaceId: r.workspace_id, position: r.position, recordedAt: r.recorded_at }));
  }

  async behind(workspaceId: string, after: number): Promise<{ entries: number; oldestRecordedAt: number | null }> {
    const [r] = await this.db.query<{ entries: number; oldest: number | null }>(
      `SELECT (SELECT count(*) FROM visit_log WHERE workspace_id = $1 AND position > $2) AS entries,
        (SELECT recorded_at FROM visit_log WHERE workspace_id = $1 AND position > $2 ORDER BY position LIMIT 1) AS oldest`,
      [workspaceId, after],
    );
    return { entries: r!.entries, oldestRecordedAt: r!.oldest };
  }
}
