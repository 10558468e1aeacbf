/**
 * The member-change log on SQLite (core/member-changes.ts, docs/webhooks.md "Member events"):
 * `member_changes` in the main file, appended by the members' own write transactions (members.ts)
 * at positions taken from the workspace's `member_change_heads` row. SQLite has one writer per
 * file, so positions commit in order whatever the number of processes.
 */
import type { MemberChange, MemberChangeHead, MemberChangeKind, MemberChangeLog } from '../../core/index.js';
import type { SqliteDb } from './database.js';
import type { SqliteWrites } from './writes.js';
import { inMemberIdOrder } from '../rows.js';

type Row = { workspace_id: string; position: number; kind: MemberChangeKind; member_id: string; changed_at: number };

/** A change to log, before it has a position. */
export interface NewMemberChange {
  kind: MemberChangeKind;
  memberId: string;
}

export class SqliteMemberChanges implements MemberChangeLog {
  private readRows;
  private headRows;
  private take;
  private insert;
  private remove;

  constructor(
    db: SqliteDb,
    private writes: SqliteWrites,
  ) {
    this.readRows = db.prepare<[string, number, number], Row>(
      'SELECT workspace_id, position, kind, member_id, changed_at FROM member_changes WHERE workspace_id = ? AND position > ? ORDER BY position LIMIT ?',
    );
    this.headRows = db.prepare<[], { workspace_id: string; position: number }>('SELECT workspace_id, position FROM member_change_heads ORDER BY workspace_id');
    this.take = db
      .prepare<[string, number], number>(
        `INSERT INTO member_change_heads (workspace_id, position) VALUES (?, ?)
         ON CONFLICT (workspace_id) DO UPDATE SET position = position + excluded.position RETURNING position`,
      )
      .pluck();
    this.insert = db.prepare<[string, number, string, string, number]>(
      'INSERT INTO member_changes (workspace_id, position, kind, member_id, changed_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.remove = db.prepare<[string, number]>('DELETE FROM member_changes WHERE workspace_id = ? AND position <= ?');
  }

  /** Appends changes at the workspace's next positions, in member id order; runs inside the caller's write transaction. */
  append(workspaceId: string, changes: readonly NewMemberChange[], now: number): void {
    if (changes.length === 0) return;
    const last = this.take.get(workspaceId, changes.length)!;
    inMemberIdOrder(changes).forEach((c, i) => this.insert.run(workspaceId, last - changes.length + 1 + i, c.kind, c.memberId, now));
  }

  async read(workspaceId: string, after: number, limit: number): Promise<MemberChange[]> {
    return this.readRows.all(workspaceId, after, limit).map((r) => ({
      workspaceId: r.workspace_id,
      position: r.position,
      kind: r.kind,
      memberId: r.member_id,
      changedAt: r.changed_at,
    }));
  }

  async heads(): Promise<MemberChangeHead[]> {
    return this.headRows.all().map((r) => ({ workspaceId: r.workspace_id, position: r.position }));
  }

  async prune(workspaceId: string, through: number): Promise<number> {
    // No read cache holds the log.
    return this.writes.main('unseen', () => this.remove.run(workspaceId, through).changes);
  }
}
