import type { Block, BlockStore } from '../../core/index.js';
import type { SqliteDb } from './database.js';
import type { ReadCache } from './read-cache.js';
import type { SqliteWrites } from './writes.js';

type BlockRow = { member_id: string; blocked_id: string; created_at: number };
const toBlock = (r: BlockRow): Block => ({ memberId: r.member_id, blockedId: r.blocked_id, createdAt: r.created_at });

/**
 * Blocks on SQLite (migration 8). Who blocks or is blocked by a member (`between`, asked by
 * every read of their visitors) is kept in the read cache (read-cache.ts). A change moves the
 * main change epoch, so every process forgets what it cached, and drops the two members' pages
 * and blocks here before it is acknowledged (the two members' lists change, past visits
 * included).
 */
export class SqliteBlocks implements BlockStore {
  private insert;
  private del;
  private made;
  private both;
  private byMembers;

  constructor(
    db: SqliteDb,
    private cache: ReadCache,
    private writes: SqliteWrites,
  ) {
    this.insert = db.prepare('INSERT INTO blocks (workspace_id, member_id, blocked_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.del = db.prepare('DELETE FROM blocks WHERE workspace_id = ? AND member_id = ? AND blocked_id = ?');
    this.made = db.prepare<[string, string], BlockRow>(
      'SELECT member_id, blocked_id, created_at FROM blocks WHERE workspace_id = ? AND member_id = ? ORDER BY created_at, blocked_id',
    );
    this.both = db
      .prepare<[string, string, string, string], string>(
        'SELECT blocked_id FROM blocks WHERE workspace_id = ? AND member_id = ? UNION SELECT member_id FROM blocks WHERE workspace_id = ? AND blocked_id = ? ORDER BY 1',
      )
      .pluck();
    this.byMembers = db.prepare<[string, string], BlockRow>(
      'SELECT member_id, blocked_id, created_at FROM blocks WHERE workspace_id = ? AND member_id IN (SELECT value FROM json_each(?))',
    );
  }

  private write(workspaceId: string, a: string, b: string, fn: () => boolean): Promise<boolean> {
    return this.writes.main({ workspaceId, pages: [a, b], blocks: [a, b] }, fn);
  }

  async add(workspaceId: string, memberId: string, blockedId: string, now: number): Promise<boolean> {
    return this.write(workspaceId, memberId, blockedId, () => this.insert.run(workspaceId, memberId, blockedId, now).changes > 0);
  }

  async remove(workspaceId: string, memberId: string, blockedId: string): Promise<boolean> {
    return this.write(workspaceId, memberId, blockedId, () => this.del.run(workspaceId, memberId, blockedId).changes > 0);
  }

  async list(workspaceId: string, memberId: string): Promise<Block[]> {
    return this.made.all(workspaceId, memberId).map(toBlock);
  }

  async between(workspaceId: string, memberId: string): Promise<readonly string[]> {
    return this.cache.blocksOf(workspaceId, memberId) ?? this.cache.keepBlocksOf(workspaceId, memberId, this.both.all(workspaceId, memberId, workspaceId, memberId));
  }

  async madeBy(workspaceId: string, memberIds: readonly string[]): Promise<Block[]> {
    return this.byMembers.all(workspaceId, JSON.stringify(memberIds)).map(toBlock);
  }
}
