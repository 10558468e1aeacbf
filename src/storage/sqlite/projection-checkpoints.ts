/**
 * Checkpoints of the projections that the projection runner drives (docs/visit-log.md), in the
 * main file's `projection_checkpoints`. `applyCheckpointed` is what a SQLite projection's
 * `apply` is made of: one write transaction on the main file that reads the checkpoint under
 * the write lock, leaves out the entries it covers, writes what the projection derives from the
 * others and moves the checkpoint to the last of them. A crash leaves both or neither; a second
 * process applying the same entries finds them covered.
 */
import type { VisitLogEntry } from '../../core/index.js';
import type { SqliteDb } from './database.js';
import type { SqliteWrites } from './writes.js';

export class SqliteCheckpoints {
  private claim;
  private get;
  private save;
  private clear;
  private all;
  private stillLogged;

  constructor(db: SqliteDb) {
    // A write first: the transaction holds the main file's write lock before it reads (database.ts).
    this.claim = db.prepare<[string, string, number]>(
      'INSERT INTO main.projection_checkpoints (name, workspace_id, position, updated_at) VALUES (?, ?, 0, ?) ON CONFLICT DO NOTHING',
    );
    this.get = db.prepare<[string, string], number>('SELECT position FROM main.projection_checkpoints WHERE name = ? AND workspace_id = ?').pluck();
    this.save = db.prepare<[number, number, string, string]>('UPDATE main.projection_checkpoints SET position = ?, updated_at = ? WHERE name = ? AND workspace_id = ?');
    this.clear = db.prepare<[string]>('DELETE FROM main.projection_checkpoints WHERE name = ?');
    this.all = db.prepare<[string], { workspace_id: string; position: number }>('SELECT workspace_id, position FROM main.projection_checkpoints WHERE name = ?');
    this.stillLogged = db.prepare<[string], number>('SELECT position FROM inbox.visit_log WHERE position IN (SELECT value FROM json_each(?))').pluck();
  }

  read(name: string, workspaceId: string): number {
    return this.get.get(name, workspaceId) ?? 0;
  }

  /** Every workspace's checkpoint of `name` (absent: 0). */
  readAll(name: string): Map<string, number> {
    return new Map(this.all.all(name).map((r) => [r.workspace_id, r.position]));
  }

  /**
   * In one transaction on the main file (writes.ts): `write` gets the entries above the
   * checkpoint (possibly none: it is then not called) and runs inside the transaction. A
   * projection applied this way writes tables no read cache holds. Entries are any ordered
   * log's (the visit log's, or the member-change log's for the webhook outbox).
   */
  apply<E extends { position: number } = VisitLogEntry>(
    writes: SqliteWrites,
    name: string,
    workspaceId: string,
    entries: readonly E[],
    write: (fresh: readonly E[]) => void,
  ): Promise<void> {
    return writes.main('unseen', () => {
      const now = Date.now();
      this.claim.run(name, workspaceId, now);
      const at = this.read(name, workspaceId);
      const fresh = entries.filter((e) => e.position > at);
      if (fresh.length === 0) return;
      write(fresh);
      this.save.run(fresh.at(-1)!.position, now, name, workspaceId);
    });
  }

  /**
   * `apply` for a projection of the visit log: `write` gets only the entries still in the log.
   * An erase (or the retention purge) may have taken some out since the runner read them; it
   * writes the main file too, so it cannot commit while this transaction holds the main write
   * lock, and what is still logged here stays so until the commit (docs/visit-log.md, "The
   * projection runner"). The checkpoint moves past the entries left out.
   */
  applyLogged(writes: SqliteWrites, name: string, workspaceId: string, entries: readonly VisitLogEntry[], write: (kept: readonly VisitLogEntry[]) => void): Promise<void> {
    return this.apply(writes, name, workspaceId, entries, (fresh) => {
      const logged = new Set(this.stillLogged.all(JSON.stringify(fresh.map((e) => e.position))));
      const kept = fresh.filter((e) => logged.has(e.position));
      if (kept.length > 0) write(kept);
    });
  }

  /** Every checkpoint of `name` back to zero, in the caller's transaction. */
  resetAll(name: string): void {
    this.clear.run(name);
  }
}
