import type { AuditCursor, AuditEntry, AuditStore, NewAuditEntry } from '../../core/index.js';
import type { SqliteDb } from './database.js';
import type { SqliteWrites } from './writes.js';

type AuditRow = { id: number; workspace_id: string; at: number; actor_key_id: string | null; action: string; target: string; details: string | null };

/** The audit log on SQLite (migration 9). Not cached: only admins read it, seldom. */
export class SqliteAudit implements AuditStore {
  private insert;
  private page;
  private newest;
  private newestBefore;

  constructor(
    db: SqliteDb,
    private writes: SqliteWrites,
  ) {
    this.insert = db.prepare('INSERT INTO audit_log (workspace_id, at, actor_key_id, action, target, details) VALUES (?, ?, ?, ?, ?, ?)');
    this.page = db.prepare<[string, number, number, number], AuditRow>(
      'SELECT id, workspace_id, at, actor_key_id, action, target, details FROM audit_log WHERE workspace_id = ? AND at >= ? AND id > ? ORDER BY id LIMIT ?',
    );
    // Newest first walks the (workspace_id, at, id) index backwards from the cursor.
    this.newest = db.prepare<[string, number], AuditRow>(
      'SELECT id, workspace_id, at, actor_key_id, action, target, details FROM audit_log WHERE workspace_id = ? ORDER BY at DESC, id DESC LIMIT ?',
    );
    this.newestBefore = db.prepare<[string, number, number, number], AuditRow>(
      'SELECT id, workspace_id, at, actor_key_id, action, target, details FROM audit_log WHERE workspace_id = ? AND (at, id) < (?, ?) ORDER BY at DESC, id DESC LIMIT ?',
    );
  }

  async append(e: NewAuditEntry): Promise<void> {
    await this.writes.main('unseen', () => this.insert.run(e.workspaceId, e.at, e.actorKeyId, e.action, e.target, e.details === null ? null : JSON.stringify(e.details)));
  }

  async list(workspaceId: string, since: number, afterId: number, limit: number): Promise<AuditEntry[]> {
    return this.page.all(workspaceId, since, afterId, limit).map(entryOf);
  }

  async listNewestFirst(workspaceId: string, before: AuditCursor | null, limit: number): Promise<AuditEntry[]> {
    const rows = before === null ? this.newest.all(workspaceId, limit) : this.newestBefore.all(workspaceId, before.at, before.id, limit);
    return rows.map(entryOf);
  }
}

function entryOf(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    at: r.at,
    actorKeyId: r.actor_key_id,
    action: r.action as AuditEntry['action'],
    target: r.target,
    details: r.details === null ? null : JSON.parse(r.details),
  };
}
