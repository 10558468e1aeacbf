import { slotOf, type PurgeCounts, type RetentionStore } from '../../core/index.js';
import type { SqliteDb } from './database.js';
import { INSIGHTS_BUMP_VERSIONS_BEFORE } from './insights-sql.js';
import type { SqliteWrites } from './writes.js';

type Expired = { id: number; profile_id: string; viewer_id: string };

/** Log positions looked at per chunk of the visit log's walk. */
const LOG_CHUNK = 5_000;

/**
 * Retention on SQLite: batches of the oldest visits (the (workspace, time) index), each batch
 * one transaction that deletes them and recomputes their pairs' summaries from the visits that
 * stay. The summary holds folded visits only, so that recount is exact; pending visits older
 * than the cutoff (recorded just before they aged out) are deleted from the inbox once the
 * folded ones are gone, and then the visit log (inbox.visit_log, which the fold and a rebuild
 * read) is walked by position in chunks, its entries older than the cutoff deleted: the log has
 * no index by time (every recording would pay for one), and a chunk is one short transaction.
 * Every batch moves the change epochs: cached pages are forgotten.
 */
export class SqliteRetention implements RetentionStore {
  private expired;
  private del;
  private kept;
  private summary;
  private dropSummary;
  private dayDown;
  private update;
  private inboxDel;
  private counts;
  private foldedThrough;
  private batch;
  private inboxPurge;
  private insightsPurge;
  private logChunk;
  private logPurge;
  /** Where each workspace's walk of the visit log has got to in this process (absent: not started). */
  private logCursor = new Map<string, number>();

  constructor(
    db: SqliteDb,
    private writes: SqliteWrites,
  ) {
    this.expired = db.prepare<[string, number, number], Expired>(
      'SELECT id, profile_id, viewer_id FROM main.visits INDEXED BY visits_workspace_time WHERE workspace_id = ? AND viewed_at < ? ORDER BY viewed_at LIMIT ?',
    );
    this.del = db.prepare<[string]>('DELETE FROM main.visits WHERE id IN (SELECT value FROM json_each(?))');
    this.kept = db.prepare<[string, string, string, number], { n: number; f: number | null }>(
      'SELECT count(*) AS n, min(viewed_at) AS f FROM main.visits WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ? AND viewed_at >= ?',
    );
    this.summary = db.prepare<[string, string, string], { view_count: number; first_viewed_at: number; last_viewed_at: number }>(
      'SELECT view_count, first_viewed_at, last_viewed_at FROM main.visitor_summary WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ?',
    );
    this.dropSummary = db.prepare<[string, string, string]>('DELETE FROM main.visitor_summary WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ?');
    this.dayDown = db.prepare<[string, string, number]>('UPDATE main.viewer_day_counts SET viewers = viewers - 1 WHERE workspace_id = ? AND profile_id = ? AND day = ?');
    this.update = db.prepare<[number, number, string, string, string]>(
      'UPDATE main.visitor_summary SET view_count = ?, first_viewed_at = ? WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ?',
    );
    // A scan of the small inbox (no index by time there, which every recording would pay for).
    this.inboxDel = [0, 1].map((n) => db.prepare<[string, number], number>(`DELETE FROM inbox.visit_inbox_${n} WHERE workspace_id = ? AND viewed_at < ? RETURNING seq`).pluck());
    this.foldedThrough = db.prepare<[], number>('SELECT folded_through FROM main.fold_state WHERE id = 1').pluck();
    this.counts = db.prepare<[string, number, string, number, string, number, string, number, number, string, number], { visits: number; removed: number; changed: number; log: number }>(
      `SELECT (SELECT count(*) FROM main.visits INDEXED BY visits_workspace_time WHERE workspace_id = ? AND viewed_at < ?)
            + (SELECT count(*) FROM inbox.visit_inbox WHERE workspace_id = ? AND viewed_at < ? AND seq > (SELECT folded_through FROM main.fold_state WHERE id = 1)) AS visits,
        (SELECT count(*) FROM main.visitor_summary WHERE workspace_id = ? AND last_viewed_at < ?) AS removed,
        (SELECT count(*) FROM main.visitor_summary WHERE workspace_id = ? AND first_viewed_at < ? AND last_viewed_at >= ?) AS changed,
        (SELECT count(*) FROM inbox.visit_log WHERE workspace_id = ? AND viewed_at < ?) AS log`,
    );
    this.logChunk = db.prepare<[string, number], { position: number; viewed_at: number }>(
      `SELECT position, viewed_at FROM inbox.visit_log WHERE workspace_id = ? AND position > ? ORDER BY position LIMIT ${LOG_CHUNK}`,
    );
    const logDel = db.prepare<[string]>('DELETE FROM inbox.visit_log WHERE position IN (SELECT value FROM json_each(?))');
    this.logPurge = (ws: string, after: number, cutoff: number): { last: number | null; deleted: number } => {
      const rows = this.logChunk.all(ws, after);
      if (rows.length === 0) return { last: null, deleted: 0 };
      const old = rows.filter((r) => r.viewed_at < cutoff).map((r) => r.position);
      if (old.length > 0) logDel.run(JSON.stringify(old));
      return { last: rows.length < LOG_CHUNK ? null : rows[rows.length - 1]!.position, deleted: old.length };
    };
    this.batch = (ws: string, cutoff: number, limit: number): PurgeCounts & { profiles: Set<string> } => {
      const rows = this.expired.all(ws, cutoff, limit);
      if (rows.length === 0) return { visits: 0, pairsRemoved: 0, pairsChanged: 0, logEntries: 0, profiles: new Set() };
      const visits = this.del.run(JSON.stringify(rows.map((r) => r.id))).changes;
      let pairsRemoved = 0;
      let pairsChanged = 0;
      const pairs = new Map(rows.map((r) => [JSON.stringify([r.profile_id, r.viewer_id]), r]));
      for (const { profile_id: p, viewer_id: v } of pairs.values()) {
        const s = this.summary.get(ws, p, v);
        if (!s) continue;
        const k = this.kept.get(ws, p, v, cutoff)!;
        if (k.n === 0) {
          this.dropSummary.run(ws, p, v);
          this.dayDown.run(ws, p, Math.floor(s.last_viewed_at / 86_400_000));
          pairsRemoved++;
        } else if (k.n !== s.view_count || k.f !== s.first_viewed_at) {
          this.update.run(k.n, k.f!, ws, p, v);
          pairsChanged++;
        }
      }
      return { visits, pairsRemoved, pairsChanged, logEntries: 0, profiles: new Set(rows.map((r) => r.profile_id)) };
    };
    // The versions of the profiles losing rows move with them (docs/insights.md, "Cost").
    const insightDel = [INSIGHTS_BUMP_VERSIONS_BEFORE, ...['insight_slots', 'insight_viewer_slots'].map((t) => `DELETE FROM main.${t} WHERE workspace_id = ? AND slot < ?`)].map((sql) =>
      db.prepare<[string, number]>(sql),
    );
    this.insightsPurge = (ws: string, slot: number): void => {
      for (const stmt of insightDel) stmt.run(ws, slot);
    };
    this.inboxPurge = (ws: string, cutoff: number): number => {
      // Folded rows still in the inbox go too (their visit left the main tables), uncounted.
      const folded = this.foldedThrough.get()!;
      return this.inboxDel.reduce((n, stmt) => n + stmt.all(ws, cutoff).filter((seq) => seq > folded).length, 0);
    };
  }

  async dropWholeRanges(): Promise<number> {
    return 0;
  }

  async purgeBatch(workspaceId: string, cutoff: number, limit: number): Promise<PurgeCounts & { done: boolean }> {
    if (!this.logCursor.has(workspaceId)) {
      // The expired visits' profiles lose them from their visitor pages.
      const { profiles, ...done } = await this.writes.main(
        (r) => (r.visits > 0 ? { workspaceId, pages: r.profiles } : 'unseen'),
        () => this.batch(workspaceId, cutoff, limit),
      );
      if (done.visits > 0) return { ...done, done: false };
      // Folded ones all gone: the pending ones older than the cutoff, once; then the log's walk.
      // A pending visit leaving is seen in every list that merges the inbox (we do not track whose).
      const pending = this.writes.inbox(
        (n) => (n > 0 ? 'everything' : 'unseen'),
        () => this.inboxPurge(workspaceId, cutoff),
      );
      this.logCursor.set(workspaceId, 0);
      return { visits: pending, pairsRemoved: 0, pairsChanged: 0, logEntries: 0, done: false };
    }
    // The log is in the inbox file, which only this thread writes: no gate. Readers do not read
    // the log; its epoch moves all the same when entries go, as it did before the write API.
    const chunk = this.writes.inbox(
      (c) => (c.deleted > 0 ? { workspaceId } : 'unseen'),
      () => this.logPurge(workspaceId, this.logCursor.get(workspaceId)!, cutoff),
    );
    if (chunk.last === null) {
      this.logCursor.delete(workspaceId);
      // Last, the insights projection's whole slots before the cutoff (docs/insights.md, "Retention"), which no cache holds.
      await this.writes.main('unseen', () => this.insightsPurge(workspaceId, slotOf(cutoff)));
    } else this.logCursor.set(workspaceId, chunk.last);
    return { visits: 0, pairsRemoved: 0, pairsChanged: 0, logEntries: chunk.deleted, done: chunk.last === null };
  }

  async countExpired(workspaceId: string, cutoff: number): Promise<PurgeCounts> {
    const r = this.counts.get(workspaceId, cutoff, workspaceId, cutoff, workspaceId, cutoff, workspaceId, cutoff, cutoff, workspaceId, cutoff)!;
    return { visits: r.visits, pairsRemoved: r.removed, pairsChanged: r.changed, logEntries: r.log };
  }
}
