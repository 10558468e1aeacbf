/**
 * The pending side of recording: acknowledged visits appended to the inbox (inbox-db.ts), and
 * what recording and reading need to know about them before they are folded (fold.ts). Every
 * read here is an index range on the small inbox table.
 *
 * Recording looks at every inbox row (a folded one not yet cleared is also in the main tables,
 * which recording asks too, and a visit seen twice decides dedup and retries the same way).
 * Reading counts the rows above the fold watermark only, after `beginRead`.
 */
import type { AcceptedVisit, VisitSource } from '../../core/index.js';
import type { SqliteDb } from './database.js';

export interface PendingVisit {
  seq: number;
  viewerId: string;
  viewedAt: number;
  source: VisitSource;
}

export class VisitInbox {
  private insert;
  private clientId;
  private pairLast;
  private pairNearby;
  private forProfile;
  private touch;
  private epoch;

  constructor(db: SqliteDb) {
    this.insert = db.prepare<[string, string, string, number, string, string | null]>(
      'INSERT INTO inbox.visit_inbox (workspace_id, profile_id, viewer_id, viewed_at, source, client_id) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.clientId = db.prepare<[string, string], number>('SELECT 1 FROM inbox.visit_inbox WHERE workspace_id = ? AND client_id = ?').pluck();
    this.pairLast = db
      .prepare<[string, string, string], number | null>('SELECT max(viewed_at) FROM inbox.visit_inbox WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ?')
      .pluck();
    this.pairNearby = db
      .prepare<[string, string, string, number, number], number>(
        'SELECT 1 FROM inbox.visit_inbox WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ? AND viewed_at > ? AND viewed_at < ? LIMIT 1',
      )
      .pluck();
    this.forProfile = db.prepare<[string, string, number, number], { seq: number; viewer_id: string; viewed_at: number; source: string }>(
      `SELECT seq, viewer_id, viewed_at, source FROM inbox.visit_inbox WHERE workspace_id = ? AND profile_id = ? AND viewed_at >= ? AND viewed_at < ?
        AND seq > (SELECT folded_through FROM main.fold_state WHERE id = 1)`,
    );
    this.touch = db.prepare<[], number>('SELECT count(*) FROM (SELECT 1 FROM inbox.visit_inbox LIMIT 1)').pluck();
    this.epoch = db.prepare<[], number>('UPDATE inbox.change_epoch SET n = n + 1 WHERE id = 1 RETURNING n').pluck();
  }

  /**
   * First statement of a recording transaction: takes the inbox's write lock (before anything
   * is read, so a recording never has to upgrade a stale read) and moves its change epoch.
   * Returns the new epoch.
   */
  beginWrite(): number {
    return this.epoch.get()!;
  }

  /** First statement of a read transaction: fixes the inbox snapshot before the main file's (see inbox-db.ts). */
  beginRead(): void {
    this.touch.get();
  }

  /** Appends an acknowledged visit; returns its sequence number, which becomes its id. */
  append(ws: string, v: AcceptedVisit): number {
    return Number(this.insert.run(ws, v.profileId, v.viewerId, v.viewedAt, v.source, v.clientId).lastInsertRowid);
  }

  hasClientId(ws: string, clientId: string): boolean {
    return this.clientId.get(ws, clientId) !== undefined;
  }

  /** The latest pending view of one viewer of one profile, if any. */
  lastView(ws: string, profileId: string, viewerId: string): number | null {
    return this.pairLast.get(ws, profileId, viewerId) ?? null;
  }

  /** Whether one viewer has a pending view of one profile strictly between `after` and `before`. */
  viewedBetween(ws: string, profileId: string, viewerId: string, after: number, before: number): boolean {
    return this.pairNearby.get(ws, profileId, viewerId, after, before) !== undefined;
  }

  /** Views of one profile within [since, until) not folded yet, in a read transaction begun with `beginRead`. */
  pending(ws: string, profileId: string, since: number, until: number): PendingVisit[] {
    return this.forProfile
      .all(ws, profileId, since, until)
      .map((r) => ({ seq: r.seq, viewerId: r.viewer_id, viewedAt: r.viewed_at, source: r.source as VisitSource }));
  }
}
