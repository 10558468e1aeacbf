import type { Member, MemberDirectory } from '../../core/index.js';
import { MEMBER_COLUMNS, memberFromTuple, type MemberTuple } from '../rows.js';
import type { SqliteDb } from './database.js';

/** Admin search: an id prefix is an index range; a name match scans the workspace's members (admin use only). */
export class SqliteDirectory implements MemberDirectory {
  private find;
  private total;

  constructor(db: SqliteDb) {
    this.find = db
      .prepare<{ ws: string; q: string; limit: number }, MemberTuple>(
        `SELECT ${MEMBER_COLUMNS} FROM members WHERE workspace_id = @ws
           AND (substr(id, 1, length(@q)) = @q OR instr(lower(coalesce(name, '')), lower(@q)) > 0)
         ORDER BY id <> @q, id LIMIT @limit`,
      )
      .raw();
    this.total = db.prepare<[string], number>('SELECT count(*) FROM members WHERE workspace_id = ?').pluck();
  }

  async search(workspaceId: string, query: string, limit: number): Promise<Member[]> {
    return this.find.all({ ws: workspaceId, q: query, limit }).map(memberFromTuple);
  }

  async count(workspaceId: string): Promise<number> {
    return Number(this.total.get(workspaceId) ?? 0);
  }
}
