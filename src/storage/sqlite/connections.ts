import type { ConnectionStore, Degree } from '../../core/index.js';
import type { SqliteDb } from './database.js';

export class SqliteConnections implements ConnectionStore {
  private insert;
  private del;
  private page;
  private count;
  private first;
  private second;
  private third;

  constructor(private db: SqliteDb) {
    this.insert = db.prepare('INSERT INTO connections (workspace_id, member_id, other_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.del = db.prepare('DELETE FROM connections WHERE workspace_id = ? AND member_id = ? AND other_id = ?');
    this.page = db.prepare<[string, string, number, number], { other_id: string }>(
      'SELECT other_id FROM connections WHERE workspace_id = ? AND member_id = ? ORDER BY other_id LIMIT ? OFFSET ?',
    );
    this.count = db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM connections WHERE workspace_id = ? AND member_id = ?');
    // Each degree is a semi-join from the few viewers on a page outwards, probing the
    // (workspace, member, other) primary key, so cost follows the page, not the owner's network.
    this.first = db.prepare<[{ ws: string; owner: string; ids: string }], { id: string }>(
      'SELECT other_id AS id FROM connections WHERE workspace_id = @ws AND member_id = @owner AND other_id IN (SELECT value FROM json_each(@ids))',
    );
    this.second = db.prepare<[{ ws: string; owner: string; ids: string }], { id: string }>(`
      SELECT DISTINCT c1.member_id AS id FROM connections c1
      JOIN connections c2 ON c2.workspace_id = c1.workspace_id AND c2.member_id = c1.other_id AND c2.other_id = @owner
      WHERE c1.workspace_id = @ws AND c1.member_id IN (SELECT value FROM json_each(@ids))`);
    this.third = db.prepare<[{ ws: string; owner: string; ids: string }], { id: string }>(`
      SELECT DISTINCT c1.member_id AS id FROM connections c1
      JOIN connections c2 ON c2.workspace_id = c1.workspace_id AND c2.member_id = c1.other_id
      JOIN connections c3 ON c3.workspace_id = c1.workspace_id AND c3.member_id = c2.other_id AND c3.other_id = @owner
      WHERE c1.workspace_id = @ws AND c1.member_id IN (SELECT value FROM json_each(@ids))`);
  }

  async add(workspaceId: string, a: string, b: string, now: number): Promise<boolean> {
    let created = false;
    this.db.transaction(() => {
      created = this.insert.run(workspaceId, a, b, now).changes > 0;
      this.insert.run(workspaceId, b, a, now);
    })();
    return created;
  }

  async remove(workspaceId: string, a: string, b: string): Promise<boolean> {
    let removed = false;
    this.db.transaction(() => {
      removed = this.del.run(workspaceId, a, b).changes > 0;
      this.del.run(workspaceId, b, a);
    })();
    return removed;
  }

  async list(workspaceId: string, memberId: string, offset: number, limit: number) {
    return {
      total: this.count.get(workspaceId, memberId)!.n,
      ids: this.page.all(workspaceId, memberId, limit, offset).map((r) => r.other_id),
    };
  }

  async degrees(workspaceId: string, ownerId: string, viewerIds: readonly string[], depth: 1 | 2 | 3 = 3): Promise<Map<string, Degree>> {
    const out = new Map<string, Degree>();
    let rest = viewerIds.filter((id) => id !== ownerId);
    const steps: [Degree, typeof this.first][] = [
      ['1st', this.first],
      ['2nd', this.second],
      ['3rd', this.third],
    ].slice(0, depth) as [Degree, typeof this.first][];
    for (const [degree, stmt] of steps) {
      if (rest.length === 0) break;
      for (const { id } of stmt.all({ ws: workspaceId, owner: ownerId, ids: JSON.stringify(rest) })) out.set(id, degree);
      rest = rest.filter((id) => !out.has(id));
    }
    if (depth === 3) for (const id of rest) out.set(id, '3rd+');
    return out;
  }
}
