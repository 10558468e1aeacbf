import type { ConnectionStore } from '../../core/index.js';
import type { PgDatabase } from './database.js';
import { directoryChanged } from './directory-version.js';

export class PgConnections implements ConnectionStore {
  constructor(private db: PgDatabase) {}

  /**
   * Both directions in one statement (atomic without a transaction), written in a fixed order
   * so that add(a, b) and add(b, a) running at once cannot deadlock on the key.
   */
  async add(workspaceId: string, a: string, b: string, now: number): Promise<boolean> {
    const [lo, hi] = a < b ? [a, b] : [b, a];
    const rows = await this.db.query<{ member_id: string }>(
      `INSERT INTO connections (workspace_id, member_id, other_id, created_at) VALUES ($1, $2, $3, $4), ($1, $3, $2, $4)
       ON CONFLICT DO NOTHING RETURNING member_id`,
      [workspaceId, lo, hi, now],
    );
    if (rows.length > 0) await directoryChanged(this.db);
    return rows.some((r) => r.member_id === a);
  }

  async remove(workspaceId: string, a: string, b: string): Promise<boolean> {
    const rows = await this.db.query<{ member_id: string }>(
      `DELETE FROM connections WHERE workspace_id = $1 AND ((member_id = $2 AND other_id = $3) OR (member_id = $3 AND other_id = $2))
       RETURNING member_id`,
      [workspaceId, a, b],
    );
    if (rows.length > 0) await directoryChanged(this.db);
    return rows.some((r) => r.member_id === a);
  }

  async list(workspaceId: string, memberId: string, offset: number, limit: number) {
    // One statement, one snapshot: the total and the page agree.
    const [row] = await this.db.query<{ total: number; ids: string[] | null }>(
      {
        name: 'connections_list',
        text: `SELECT (SELECT count(*) FROM connections WHERE workspace_id = $1 AND member_id = $2) AS total,
          (SELECT array_agg(other_id ORDER BY other_id) FROM (
            SELECT other_id FROM connections WHERE workspace_id = $1 AND member_id = $2 ORDER BY other_id LIMIT $3 OFFSET $4) p) AS ids`,
        values: [workspaceId, memberId, limit, offset],
      },
    );
    return { total: row!.total, ids: row!.ids ?? [] };
  }

  async neighbors(workspaceId: string, ids: readonly string[]): Promise<Map<string, readonly string[]>> {
    const out = new Map<string, string[]>();
    if (ids.length === 0) return out;
    const rows = await this.db.query<{ member_id: string; other_id: string }>({
      name: 'connections_neighbors',
      text: 'SELECT member_id, other_id FROM connections WHERE workspace_id = $1 AND member_id = ANY($2::text[])',
      values: [workspaceId, [...ids]],
    });
    for (const { member_id, other_id } of rows) {
      const list = out.get(member_id);
      if (list) list.push(other_id);
      else out.set(member_id, [other_id]);
    }
    return out;
  }
}
