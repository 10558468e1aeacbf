/**
 * The insights projection on SQLite (docs/insights.md): adds each log entry to the views per
 * (profile, slot) and per (profile, slot, viewer, source). Driven by the projection runner; its
 * checkpoint is in `projection_checkpoints`, moved in the transaction that writes the counts
 * (projection-checkpoints.ts), so a batch counts once whatever crashes or runs twice.
 */
import { INSIGHTS_PROJECTION, slotOf, type Projection, type VisitLogEntry } from '../../core/index.js';
import type { SqliteDb } from './database.js';
import { INSIGHTS_ADD_SLOT, INSIGHTS_ADD_VIEWER_SLOT, INSIGHTS_BUMP_ALL_VERSIONS, INSIGHTS_BUMP_VERSION } from './insights-sql.js';
import { SqliteCheckpoints } from './projection-checkpoints.js';
import type { SqliteWrites } from './writes.js';

export class SqliteInsightsProjection implements Projection {
  readonly name = INSIGHTS_PROJECTION;
  readonly drivenBy = 'runner' as const;
  private checkpoints;
  private addSlot;
  private addViewerSlot;
  private bumpVersion;
  private clear;

  constructor(
    db: SqliteDb,
    private writes: SqliteWrites,
  ) {
    this.checkpoints = new SqliteCheckpoints(db);
    this.addSlot = db.prepare<[string, string, number, number]>(INSIGHTS_ADD_SLOT);
    this.addViewerSlot = db.prepare<[string, string, number, string, string, number]>(INSIGHTS_ADD_VIEWER_SLOT);
    this.bumpVersion = db.prepare<[string, string]>(INSIGHTS_BUMP_VERSION);
    // Versions first: moving those of bulk-loaded profiles needs their rows.
    this.clear = [...INSIGHTS_BUMP_ALL_VERSIONS, 'DELETE FROM main.insight_slots', 'DELETE FROM main.insight_viewer_slots'].map((sql) => db.prepare(sql));
  }

  async checkpoint(workspaceId: string): Promise<number> {
    return this.checkpoints.read(this.name, workspaceId);
  }

  async apply(workspaceId: string, entries: readonly VisitLogEntry[]): Promise<void> {
    // Only what an erase has not taken out of the log since the runner read it.
    await this.checkpoints.applyLogged(this.writes, this.name, workspaceId, entries, (fresh) => {
      const slots = new Map<string, [string, number, number]>();
      const viewers = new Map<string, [string, number, string, string, number]>();
      for (const e of fresh) {
        const slot = slotOf(e.viewedAt);
        const k1 = JSON.stringify([e.profileId, slot]);
        const s = slots.get(k1);
        if (s) s[2]++;
        else slots.set(k1, [e.profileId, slot, 1]);
        const k2 = JSON.stringify([e.profileId, slot, e.viewerId, e.source]);
        const v = viewers.get(k2);
        if (v) v[4]++;
        else viewers.set(k2, [e.profileId, slot, e.viewerId, e.source, 1]);
      }
      // In key order, so consecutive writes land on the same B-tree pages.
      for (const k of [...slots.keys()].sort()) this.addSlot.run(workspaceId, ...slots.get(k)!);
      for (const k of [...viewers.keys()].sort()) this.addViewerSlot.run(workspaceId, ...viewers.get(k)!);
      // What readers kept of these profiles no longer holds (insights.ts, `versions`).
      for (const profile of new Set([...slots.values()].map(([p]) => p))) this.bumpVersion.run(workspaceId, profile);
    });
  }

  async reset(): Promise<void> {
    await this.writes.main('unseen', () => {
      for (const stmt of this.clear) stmt.run();
      this.checkpoints.resetAll(this.name);
    });
  }
}
