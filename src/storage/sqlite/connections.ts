import type { ConnectionStore } from '../../core/index.js';
import type { SqliteDb } from './database.js';
import type { ReadCache } from './read-cache.js';
import type { SqliteWrites } from './writes.js';

const SEPARATOR = '\u0000';

export class SqliteConnections implements ConnectionStore {
  private insert;
  private del;
  private page;
  private count;
  private around;
  private aroundOne;

  constructor(
    private db: SqliteDb,
    private cache: ReadCache,
    private writes: SqliteWrites,
  ) {
    this.insert = db.prepare('INSERT INTO connections (workspace_id, member_id, other_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.del = db.prepare('DELETE FROM connections WHERE workspace_id = ? AND member_id = ? AND other_id = ?');
    this.page = db.prepare<[string, string, number, number], { other_id: string }>(
      'SELECT other_id FROM connections WHERE workspace_id = ? AND member_id = ? ORDER BY other_id LIMIT ? OFFSET ?',
    );
    this.count = db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM connections WHERE workspace_id = ? AND member_id = ?');
    // One row per member, its list joined by SQLite: a ConnectSafely page reads about 40 lists of
    // 20, and better-sqlite3 builds each row of an answer through V8's slow path. 20 random lists
    // of the bench's full file: 343 to 469 µs as 400 rows, 212 to 287 as 20 joined lists (a
    // JSON array per list: 352 to 361, parsing costs what the rows did). The separator, NUL, may
    // be part of an id (ids are any text): then a list splits into more parts than it has rows,
    // and that member's list is read as rows instead.
    this.around = db
      .prepare<[string, string], [memberId: string, n: number, joined: string]>(
        `SELECT member_id, count(*), group_concat(other_id, char(0)) FROM connections
         WHERE workspace_id = ? AND member_id IN (SELECT value FROM json_each(?)) GROUP BY member_id`,
      )
      .raw();
    // One member (an owner, for LinkupAPI's call to action) is one index range, without the
    // cost of decoding a JSON list (measured: a fifth of a LinkupAPI request's CPU).
    this.aroundOne = db.prepare<[string, string], string>('SELECT other_id FROM connections WHERE workspace_id = ? AND member_id = ?').pluck();
  }

  // Deferred transactions whose first statement (the epoch, writes.ts) writes the main file:
  // IMMEDIATE would take the inbox's lock too (database.ts).
  async add(workspaceId: string, a: string, b: string, now: number): Promise<boolean> {
    return this.writes.main({ workspaceId, neighbors: [a, b] }, () => {
      const created = this.insert.run(workspaceId, a, b, now).changes > 0;
      this.insert.run(workspaceId, b, a, now);
      return created;
    });
  }

  async remove(workspaceId: string, a: string, b: string): Promise<boolean> {
    return this.writes.main({ workspaceId, neighbors: [a, b] }, () => {
      const removed = this.del.run(workspaceId, a, b).changes > 0;
      this.del.run(workspaceId, b, a);
      return removed;
    });
  }

  async list(workspaceId: string, memberId: string, offset: number, limit: number) {
    return {
      total: this.count.get(workspaceId, memberId)!.n,
      ids: this.page.all(workspaceId, memberId, limit, offset).map((r) => r.other_id),
    };
  }

  /** Members without connections are left out of the answer, but cached (as empty lists): they are asked about as often. */
  async neighbors(workspaceId: string, ids: readonly string[]): Promise<Map<string, readonly string[]>> {
    const { found, missing } = this.cache.neighbors(workspaceId, ids);
    if (missing.length === 1) {
      const id = missing[0]!;
      found.set(id, this.cache.keepNeighbors(workspaceId, id, this.aroundOne.all(workspaceId, id)));
    } else if (missing.length > 1) {
      const read = new Map<string, string[]>(missing.map((id) => [id, []]));
      for (const [memberId, n, joined] of this.around.all(workspaceId, JSON.stringify(missing))) {
        const list = joined.split(SEPARATOR);
        read.set(memberId, list.length === n ? list : this.aroundOne.all(workspaceId, memberId));
      }
      for (const [id, list] of read) found.set(id, this.cache.keepNeighbors(workspaceId, id, list));
    }
    for (const [id, list] of found) if (list.length === 0) found.delete(id);
    return found;
  }
}
