import type { Block, BlockStore } from '../../core/index.js';
import type { PgDatabase } from './database.js';
import { directoryChanged } from './directory-version.js';

type BlockRow = { member_id: string; blocked_id: string; created_at: string | number };
const toBlock = (r: BlockRow): Block => ({ memberId: r.member_id, blockedId: r.blocked_id, createdAt: Number(r.created_at) });

/** Blocks on PostgreSQL (migration 7): each statement is atomic on its own; a change moves the directory version after it. */
export class PgBlocks implements BlockStore {
  constructor(private db: PgDatabase) {}

  async add(workspaceId: string, memberId: string, blockedId: string, now: number): Promise<boolean> {
    const rows = await this.db.query(
      'INSERT INTO blocks (workspace_id, member_id, blocked_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1',
      [workspaceId, memberId, blockedId, now],
    );
    if (rows.length > 0) await directoryChanged(this.db);
    return rows.length > 0;
  }

  async remove(workspaceId: string, memberId: string, blockedId: string): Promise<boolean> {
    const rows = await this.db.query('DELETE FROM blocks WHERE workspace_id = $1 AND member_id = $2 AND blocked_id = $3 RETURNING 1', [
      workspaceId,
      memberId,
      blockedId,
    ]);
    if (rows.length > 0) await directoryChanged(this.db);
    return rows.length > 0;
  }

  async list(workspaceId: string, memberId: string): Promise<Block[]> {
    const rows = await this.db.query<BlockRow>(
      'SELECT member_id, blocked_id, created_at FROM blocks WHERE workspace_id = $1 AND member_id = $2 ORDER BY created_at, blocked_id',
      [workspaceId, memberId],
    );
    return rows.map(toBlock);
  }

  async between(workspaceId: string, memberId: string): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>({
      name: 'blocks_between',
      text: `SELECT blocked_id AS id FROM blocks WHERE workspace_id = $1 AND member_id = $2
        UNION SELECT member_id FROM blocks WHERE workspace_id = $1 AND blocked_id = $2 ORDER BY 1`,
      values: [workspaceId, memberId],
    });
    return rows.map((r) => r.id);
  }

  async madeBy(workspaceId: string, memberIds: readonly string[]): Promise<Block[]> {
    if (memberIds.length === 0) return [];
    const rows = await this.db.query<BlockRow>({
      name: 'blocks_made_by',
      text: 'SELECT member_id, blocked_id, created_at FROM blocks WHERE workspace_id = $1 AND member_id = ANY($2::text[])',
      values: [workspaceId, [...memberIds]],
    });
    return rows.map(toBlock);
  }
}
