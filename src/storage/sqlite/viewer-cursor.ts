/**
 * Pages of the open-ended visitor list found by where the previous page ended
 * (`VisitStore.viewersAfter`), for a walk through a whole list such as an export: the same rows
 * as visitor-list.ts (folded summary with the inbox's pending views merged in, counts within
 * the range, blocked viewers left out), but each page is one descent of the covering index
 * `visitor_summary_page` to the cursor instead of an offset counted off it, so the millionth
 * row costs what the first does. Never cached: a walk reads each page once.
 */
import { mergeLater, type PairView, type ViewerCursor, type ViewerCursorQuery, type ViewerSummary, type VisitSource } from '../../core/index.js';
import { SUMMARY_COLUMNS, summaryFromTuple, type SummaryTuple } from '../rows.js';
import type { SqliteDb } from './database.js';
import type { VisitInbox } from './inbox.js';
import { groupByViewer, newestFirst } from './visitor-list.js';

const END_OF_TIME = Number.MAX_SAFE_INTEGER;
/** Before every row: at or before the end of time, after the empty id. */
const TOP: ViewerCursor = { lastViewedAt: END_OF_TIME, viewerId: '' };

type AfterParams = { ws: string; profile: string; since: number; last: number; viewer: string; limit: number; exclude?: string };

export class ViewerCursorReader {
  private after;
  private afterExcluding;
  private row;
  private rangeCount;
  private pairViews;
  private read;

  constructor(
    db: SqliteDb,
    private inbox: VisitInbox,
  ) {
    // `last_viewed_at <= @last` bounds the index range; the rest filters the cursor's millisecond.
    const afterOf = (not: string) =>
      db
        .prepare<AfterParams, SummaryTuple>(`
      SELECT ${SUMMARY_COLUMNS} FROM main.visitor_summary
      WHERE workspace_id = @ws AND profile_id = @profile AND last_viewed_at >= @since
        AND last_viewed_at <= @last AND (last_viewed_at < @last OR viewer_id > @viewer)${not}
      ORDER BY last_viewed_at DESC, viewer_id LIMIT @limit`)
        .raw();
    this.after = afterOf('');
    this.afterExcluding = afterOf(' AND viewer_id NOT IN (SELECT value FROM json_each(@exclude))');
    this.row = db
      .prepare<[string, string, string], SummaryTuple>(`SELECT ${SUMMARY_COLUMNS} FROM main.visitor_summary WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ?`)
      .raw();
    this.rangeCount = db.prepare<[string, string, string, number], { n: number; first: number }>(
      'SELECT count(*) AS n, min(viewed_at) AS first FROM main.visits WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ? AND viewed_at >= ?',
    );
    // Folded views, then the pending ones beyond the fold; a visit's id is its inbox seq, so `k` is recording order.
    const where = 'workspace_id = @ws AND profile_id = @profile AND viewer_id = @viewer AND viewed_at >= @since';
    this.pairViews = db
      .prepare<{ ws: string; profile: string; viewer: string; since: number }, [viewedAt: number, source: string]>(
        `SELECT viewed_at, source FROM (
           SELECT viewed_at, source, id AS k FROM main.visits WHERE ${where}
           UNION ALL SELECT viewed_at, source, seq FROM inbox.visit_inbox WHERE ${where}
             AND seq > (SELECT folded_through FROM main.fold_state WHERE id = 1))
         ORDER BY viewed_at, k`,
      )
      .raw();
    this.read = {
      page: db.transaction((q: ViewerCursorQuery) => this.readPage(q)),
      pair: db.transaction((p: { ws: string; profile: string; viewer: string; since: number }) => {
        this.inbox.beginRead();
        return this.pairViews.all(p);
      }),
    };
  }

  page(q: ViewerCursorQuery): ViewerSummary[] {
    return this.read.page(q);
  }

  viewsOfPair(ws: string, profile: string, viewer: string, since: number): PairView[] {
    return this.read.pair({ ws, profile, viewer, since }).map(([viewedAt, source]) => ({ viewedAt, source: source as VisitSource }));
  }

  /**
   * One page after the cursor, in a read transaction that fixes the inbox first (inbox-db.ts).
   * A viewer with pending views gets their folded row merged with them (ranking no lower than
   * either); their folded row is passed over. So folded rows are read on past the cursor until a
   * page of them belongs to viewers with nothing pending (usually the first read), and the merged
   * rows after the cursor are sorted in.
   */
  private readPage(q: ViewerCursorQuery): ViewerSummary[] {
    this.inbox.beginRead();
    const out = q.excludeViewerIds?.length ? new Set(q.excludeViewerIds) : null;
    const pending = this.inbox.pending(q.workspaceId, q.profileId, q.since, END_OF_TIME).filter((p) => !out?.has(p.viewerId));
    const groups = groupByViewer(pending);
    const cursor = q.after ?? TOP;
    const rows: ViewerSummary[] = [];
    for (let from = cursor, kept = 0; kept < q.limit; ) {
      const batch = this.folded(q, from, q.limit).map(summaryFromTuple);
      for (const r of batch) {
        if (groups.has(r.viewerId)) continue;
        rows.push(this.countWithin(q, r));
        kept++;
      }
      if (batch.length < q.limit) break;
      from = batch.at(-1)!;
    }
    for (const [viewerId, g] of groups) {
      // The merged row is at or above the pending views' own place: past the cursor already, skip it.
      if (newestFirst({ lastViewedAt: g.lastViewedAt, viewerId }, cursor) <= 0) continue;
      const tuple = this.row.get(q.workspaceId, q.profileId, viewerId);
      const stored = tuple && summaryFromTuple(tuple);
      const base = stored && stored.lastViewedAt >= q.since ? this.countWithin(q, stored) : null;
      const merged: ViewerSummary = base
        ? mergeLater(base, g)
        : { viewerId, viewCount: g.viewCount, firstViewedAt: g.firstViewedAt, lastViewedAt: g.lastViewedAt, lastSource: g.lastSource };
      if (newestFirst(merged, cursor) > 0) rows.push(merged);
    }
    return rows.sort(newestFirst).slice(0, q.limit);
  }

  private folded(q: ViewerCursorQuery, from: ViewerCursor, limit: number): SummaryTuple[] {
    const p: AfterParams = { ws: q.workspaceId, profile: q.profileId, since: q.since, last: from.lastViewedAt, viewer: from.viewerId, limit };
    return q.excludeViewerIds?.length ? this.afterExcluding.all({ ...p, exclude: JSON.stringify(q.excludeViewerIds) }) : this.after.all(p);
  }

  /** As in visitor-list.ts: a row whose first view predates the range is recounted within it. */
  private countWithin(q: ViewerCursorQuery, r: ViewerSummary): ViewerSummary {
    if (r.firstViewedAt >= q.since) return r;
    const c = this.rangeCount.get(q.workspaceId, q.profileId, r.viewerId, q.since)!;
    r.viewCount = c.n;
    r.firstViewedAt = c.first;
    return r;
  }
}
