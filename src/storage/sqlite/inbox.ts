/**
 * The pending side of recording: acknowledged visits appended to the inbox (inbox-db.ts), and
 * what recording and reading need to know about them before they are folded (fold.ts). Every
 * read here is an index range on the small inbox tables.
 *
 * Recording looks at every inbox row (a folded one still here is also in the main tables, which
 * recording asks too, and a visit seen twice decides dedup and retries the same way). Reading
 * counts the rows above the fold watermark only, after `beginRead`.
 */
import type { AcceptedVisit, VisitSource } from '../../core/index.js';
import type { SqliteDb } from './database.js';
import { SWAP_ROWS } from './inbox-db.js';

type Table = 0 | 1;

export interface PendingVisit {
  seq: number;
  viewerId: string;
  viewedAt: number;
  source: VisitSource;
}

export class VisitInbox {
  private inserts;
  private state;
  private saveState;
  private allFolded;
  private empty;
  private group: { last: number; active: Table; activeFrom: number; now: number; heads: Map<string, number> } | null = null;
  private clientId;
  private pairLast;
  private pairNearby;
  private forProfile;
  private touch;
  private logInsert;
  private saveHead;

  constructor(db: SqliteDb) {
    const tables: Table[] = [0, 1];
    this.inserts = tables.map((n) =>
      db.prepare<[number, string, string, string, number, string, string | null]>(
        `INSERT INTO inbox.visit_inbox_${n} (seq, workspace_id, profile_id, viewer_id, viewed_at, source, client_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
    );
    this.state = db.prepare<[], { last_seq: number; active: Table; active_from: number }>('SELECT last_seq, active, active_from FROM inbox.inbox_state WHERE id = 1');
    this.saveState = db.prepare<[number, Table, number]>('UPDATE inbox.inbox_state SET last_seq = ?, active = ?, active_from = ? WHERE id = 1');
    // The largest seq of a table is its last rowid: no scan.
    this.allFolded = tables.map((n) =>
      db
        .prepare<[], number>(`SELECT coalesce((SELECT max(seq) FROM inbox.visit_inbox_${n}), 0) <= (SELECT folded_through FROM main.fold_state WHERE id = 1)`)
        .pluck(),
    );
    // Without a WHERE clause SQLite truncates: the table's pages are freed, not its rows deleted one by one.
    this.empty = tables.map((n) => db.prepare(`DELETE FROM inbox.visit_inbox_${n}`));
    // The recording rule's lookups ask each table on its own: through the view (a union of
    // both), SQLite ran them as a subquery and took about 40% longer per visit, the
    // largest single cost of a bulk import (docs/cli-import.md, "Speed").
    this.clientId = tables.map((n) =>
      db.prepare<[string, string], number>(`SELECT 1 FROM inbox.visit_inbox_${n} WHERE workspace_id = ? AND client_id = ?`).pluck(),
    );
    this.pairLast = tables.map((n) =>
      db
        .prepare<[string, string, string], number>(
          `SELECT viewed_at FROM inbox.visit_inbox_${n} WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ? ORDER BY viewed_at DESC LIMIT 1`,
        )
        .pluck(),
    );
    this.pairNearby = db
      .prepare<[string, string, string, number, number], number>(
        'SELECT 1 FROM inbox.visit_inbox WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ? AND viewed_at > ? AND viewed_at < ? LIMIT 1',
      )
      .pluck();
    this.forProfile = db.prepare<[string, string, number, number], { seq: number; viewer_id: string; viewed_at: number; source: string }>(
      `SELECT seq, viewer_id, viewed_at, source FROM inbox.visit_inbox WHERE workspace_id = ? AND profile_id = ? AND viewed_at >= ? AND viewed_at < ?
        AND seq > (SELECT folded_through FROM main.fold_state WHERE id = 1)`,
    );
    this.logInsert = db.prepare<[number, string, string, string, number, string, string | null, number]>(
      'INSERT INTO inbox.visit_log (position, workspace_id, profile_id, viewer_id, viewed_at, source, client_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.saveHead = db.prepare<[string, number, number]>(
      'INSERT INTO inbox.visit_log_heads (workspace_id, position, recorded_at) VALUES (?, ?, ?) ON CONFLICT (workspace_id) DO UPDATE SET position = excluded.position, recorded_at = excluded.recorded_at',
    );
    this.touch = db.prepare<[], number>('SELECT count(*) FROM (SELECT 1 FROM inbox.visit_inbox_0 LIMIT 1)').pluck();
  }

  /** In a recording transaction that already holds the inbox's write lock: where its rows go. */
  beginGroup(): void {
    const st = this.state.get()!;
    this.group = { last: st.last_seq, active: st.active, activeFrom: st.active_from, now: Date.now(), heads: new Map() };
  }

  /**
   * At the end of the recording transaction: keeps the last seq, and switches tables once the
   * active one is full and the other one entirely folded (see inbox-db.ts).
   */
  endGroup(): void {
    const g = this.group!;
    this.group = null;
    for (const [ws, position] of g.heads) this.saveHead.run(ws, position, g.now);
    const other: Table = g.active === 0 ? 1 : 0;
    if (g.last - g.activeFrom + 1 >= SWAP_ROWS && this.allFolded[other]!.get()) {
      this.empty[other]!.run();
      this.saveState.run(g.last, other, g.last + 1);
    } else this.saveState.run(g.last, g.active, g.activeFrom);
  }

  /** First statement of a read transaction: fixes the inbox snapshot before the main file's (see inbox-db.ts). */
  beginRead(): void {
    this.touch.get();
  }

  /**
   * Appends an acknowledged visit (between `beginGroup` and `endGroup`) to the inbox and to the
   * visit log, in the recording transaction; returns its sequence number, which becomes its id
   * and its position in the log (docs/visit-log.md).
   */
  append(ws: string, v: AcceptedVisit): number {
    const g = this.group!;
    const seq = ++g.last;
    this.inserts[g.active]!.run(seq, ws, v.profileId, v.viewerId, v.viewedAt, v.source, v.clientId);
    this.logInsert.run(seq, ws, v.profileId, v.viewerId, v.viewedAt, v.source, v.clientId, g.now);
    g.heads.set(ws, seq);
    return seq;
  }

  hasClientId(ws: string, clientId: string): boolean {
    return this.clientId.some((q) => q.get(ws, clientId) !== undefined);
  }

  /** The latest pending view of one viewer of one profile, if any. */
  lastView(ws: string, profileId: string, viewerId: string): number | null {
    const [a, b] = this.pairLast.map((q) => q.get(ws, profileId, viewerId));
    return a === undefined ? (b ?? null) : b === undefined ? a : Math.max(a, b);
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
