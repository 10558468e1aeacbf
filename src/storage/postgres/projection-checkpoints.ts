/**
 * Checkpoints of the projections that the projection runner drives (docs/visit-log.md), in
 * `projection_checkpoints`. `apply` is what a PostgreSQL projection's `apply` is made of: one
 * transaction that locks the checkpoint row, leaves out the entries it covers, lets the
 * projection write what it derives from the others on the same connection, and moves the
 * checkpoint to the last of them. Two processes applying the same entries meet at the row lock;
 * the second finds them covered.
 */
import type pg from 'pg';
import type { VisitLogEntry } from '../../core/index.js';
import type { PgDatabase } from './database.js';

const STILL_LOGGED = 'SELECT position FROM visit_log WHERE workspace_id = $1 AND position = ANY($2::int8[]) FOR SHARE';

export class PgCheckpoints {
  constructor(private db: PgDatabase) {}

  async read(name: string, workspaceId: string): Promise<number> {
    const [r] = await this.db.query<{ position: number }>('SELECT position FROM projection_checkpoints WHERE name = $1 AND workspace_id = $2', [name, workspaceId]);
    return r?.position ?? 0;
  }

  /** Every workspace's checkpoint of `name` (absent: 0). */
  async readAll(name: string): Promise<Map<string, number>> {
    const rows = await this.db.query<{ workspace_id: string; position: number }>('SELECT workspace_id, position FROM projection_checkpoints WHERE name = $1', [name]);
    return new Map(rows.map((r) => [r.workspace_id, r.position]));
  }

  /** Entries are any ordered log's (the visit log's, or the member-change log's for the webhook outbox). */
  apply<E extends { position: number } = VisitLogEntry>(
    name: string,
    workspaceId: string,
    entries: readonly E[],
    write: (c: pg.PoolClient, fresh: readonly E[]) => Promise<void>,
  ): Promise<void> {
    return this.db.transaction(async (c) => {
      const now = Date.now();
      await c.query('INSERT INTO projection_checkpoints (name, workspace_id, position, updated_at) VALUES ($1, $2, 0, $3) ON CONFLICT DO NOTHING', [
        name,
        workspaceId,
        now,
      ]);
      const { rows } = await c.query<{ position: number }>('SELECT position FROM projection_checkpoints WHERE name = $1 AND workspace_id = $2 FOR UPDATE', [
        name,
        workspaceId,
      ]);
      const at = rows[0]!.position;
      const fresh = entries.filter((e) => e.position > at);
      if (fresh.length === 0) return;
      await write(c, fresh);
      await c.query('UPDATE projection_checkpoints SET position = $1, updated_at = $2 WHERE name = $3 AND workspace_id = $4', [
        fresh.at(-1)!.position,
        now,
        name,
        workspaceId,
      ]);
    });
  }

  /**
   * `apply` for a projection of the visit log: `write` gets only the entries still in the log,
   * locked until the commit. An erase deletes a member's entries before it removes what was
   * built from them, so it waits for this transaction and then finds its rows; an entry it
   * deleted first is left out (docs/visit-log.md, "The projection runner"). The checkpoint
   * moves past the entries left out.
   */
  applyLogged(
    name: string,
    workspaceId: string,
    entries: readonly VisitLogEntry[],
    write: (c: pg.PoolClient, kept: readonly VisitLogEntry[]) => Promise<void>,
  ): Promise<void> {
    return this.apply(name, workspaceId, entries, async (c, fresh) => {
      const { rows } = await c.query<{ position: string | number }>(STILL_LOGGED, [workspaceId, fresh.map((e) => e.position)]);
      const logged = new Set(rows.map((r) => Number(r.position)));
      const kept = fresh.filter((e) => logged.has(e.position));
      if (kept.length > 0) await write(c, kept);
    });
  }

  /** Every checkpoint of `name` back to zero, on the caller's connection (in its transaction). */
  async resetAll(c: pg.PoolClient, name: string): Promise<void> {
    await c.query('DELETE FROM projection_checkpoints WHERE name = $1', [name]);
  }
}
