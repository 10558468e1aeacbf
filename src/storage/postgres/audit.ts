import type { AuditCursor, AuditEntry, AuditStore, NewAuditEntry } from '../../core/index.js';
import type { PgDatabase } from './database.js';

type AuditRow = { id: string; workspace_id: string; at: string; actor_key_id: string | null; action: string; target: string; details: Record<string, unknown> | null };

/** The audit log on PostgreSQL (migration 8). */
export class PgAudit implements AuditStore {
  constructor(private db: PgDatabase) {}

  async append(e: NewAuditEntry): Promise<void> {
    await this.db.query('INSERT INTO audit_log (workspace_id, at, actor_key_id, action, target, details) VALUES ($1, $2, $3, $4, $5, $6)', [
      e.workspaceId,
      e.at,
      e.actorKeyId,
      e.action,
      e.target,
      e.details === null ? null : JSON.stringify(e.details),
    ]);
  }

  async list(workspaceId: string, since: number, afterId: number, limit: number): Promise<AuditEntry[]> {
    const rows = await this.db.query<AuditRow>(
      'SELECT id, workspace_id, at, actor_key_id, action, target, details FROM audit_log WHERE workspace_id = $1 AND at >= $2 AND id > $3 ORDER BY id LIMIT $4',
      [workspaceId, since, afterId, limit],
    );
    return rows.map(entryOf);
  }

  /** Newest first walks the (workspace_id, at, id) index backwards from the cursor. */
  async listNewestFirst(workspaceId: string, before: AuditCursor | null, limit: number): Promise<AuditEntry[]> {
    const rows =
      before === null
        ? await this.db.query<AuditRow>(
            'SELECT id, workspace_id, at, actor_key_id, action, target, details FROM audit_log WHERE workspace_id = $1 ORDER BY at DESC, id DESC LIMIT $2',
            [workspaceId, limit],
          )
        : await this.db.query<AuditRow>(
            'SELECT id, workspace_id, at, actor_key_id, action, target, details FROM audit_log WHERE workspace_id = $1 AND (at, id) < ($2, $3) ORDER BY at DESC, id DESC LIMIT $4',
            [workspaceId, before.at, before.id, limit],
          );
    return rows.map(entryOf);
  }
}

function entryOf(r: AuditRow): AuditEntry {
  return {
    id: Number(r.id),
    workspaceId: r.workspace_id,
    at: Number(r.at),
    actorKeyId: r.actor_key_id,
    action: r.action as AuditEntry['action'],
    target: r.target,
    details: r.details,
  };
}
