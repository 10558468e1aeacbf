import type { Member, MemberDirectory } from '../../core/index.js';
import { MEMBER_COLUMNS, memberFromRow, type MemberRow } from '../rows.js';
import type { PgDatabase } from './database.js';

/** Admin search: an id prefix is an index range; a name match scans the workspace's members (admin use only). */
export class PgDirectory implements MemberDirectory {
  constructor(private db: PgDatabase) {}

  async search(workspaceId: string, query: string, limit: number): Promise<Member[]> {
    const rows = await this.db.query<MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM members WHERE workspace_id = $1
         AND (left(id, length($2)) = $2 OR strpos(lower(coalesce(name, '')), lower($2)) > 0)
       ORDER BY id <> $2, id LIMIT $3`,
      [workspaceId, query, limit],
    );
    return rows.map(memberFromRow);
  }

  async count(workspaceId: string): Promise<number> {
    const [row] = await this.db.query<{ n: string }>('SELECT count(*) AS n FROM members WHERE workspace_id = $1', [workspaceId]);
    return Number(row?.n ?? 0);
  }
}
