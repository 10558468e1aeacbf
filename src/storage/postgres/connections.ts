import type { ConnectionStore, Degree } from '../../core/index.js';
import type { PgDatabase } from './database.js';

// Each degree is a semi-join from the few viewers on a page outwards, probing the
// (workspace, member, other) primary key, so cost follows the page, not the owner's network.
const FIRST = 'SELECT other_id AS id FROM connections WHERE workspace_id = $1 AND member_id = $2 AND other_id = ANY($3::text[])';
const SECOND = `SELECT DISTINCT c1.member_id AS id FROM connections c1
  JOIN connections c2 ON c2.workspace_id = c1.workspace_id AND c2.member_id = c1.other_id AND c2.other_id = $2
  WHERE c1.workspace_id = $1 AND c1.member_id = ANY($3::text[])`;
const THIRD = `SELECT DISTINCT c1.member_id AS id FROM connections c1
  JOIN connections c2 ON c2.workspace_id = c1.workspace_id AND c2.member_id = c1.other_id
  JOIN connections c3 ON c3.workspace_id = c1.workspace_id AND c3.member_id = c2.other_id AND c3.other_id = $2
  WHERE c1.workspace_id = $1 AND c1.member_id = ANY($3::text[])`;

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
    return rows.some((r) => r.member_id === a);
  }

  async remove(workspaceId: string, a: string, b: string): Promise<boolean> {
    const rows = await this.db.query<{ member_id: string }>(
      `DELETE FROM connections WHERE workspace_id = $1 AND ((member_id = $2 AND other_id = $3) OR (member_id = $3 AND other_id = $2))
       RETURNING member_id`,
      [workspaceId, a, b],
    );
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

  /** Looks `depth` hops out (1 to 3): viewers not found within it are `3rd+` at depth 3, left out otherwise. */
  async degrees(workspaceId: string, ownerId: string, viewerIds: readonly string[], depth: 1 | 2 | 3 = 3): Promise<Map<string, Degree>> {
    const out = new Map<string, Degree>();
    let rest = viewerIds.filter((id) => id !== ownerId);
    const steps: [Degree, string, string][] = [
      ['1st', 'degrees_1', FIRST],
      ['2nd', 'degrees_2', SECOND],
      ['3rd', 'degrees_3', THIRD],
    ].slice(0, depth) as [Degree, string, string][];
    for (const [degree, name, text] of steps) {
      if (rest.length === 0) break;
      for (const { id } of await this.db.query<{ id: string }>({ name, text, values: [workspaceId, ownerId, rest] })) out.set(id, degree);
      rest = rest.filter((id) => !out.has(id));
    }
    if (depth === 3) for (const id of rest) out.set(id, '3rd+');
    return out;
  }
}
