/**
 * The visitor list on SQLite: distinct viewers of a profile within a range, newest view first
 * (ties by viewer id), with counts within the range. Folded visits are read from the summary
 * (one covering index range per page, the total from the day histogram); visits still in the
 * inbox are merged in, so a list always shows every acknowledged visit.
 *
 * Every list is read in one read transaction that takes the inbox's snapshot first (see
 * inbox-db.ts): the fold thread commits while we read, and a visit read as pending must not
 * also be read as folded, nor missed.
 */
import { mergeLater, type ViewerPageQuery, type ViewerSummary, type VisitSource } from '../../core/index.js';
import { SUMMARY_COLUMNS, summaryFromTuple, type SummaryTuple } from '../rows.js';
import { dayOf } from '../viewer-days.js';
import type { SqliteDb } from './database.js';
import type { PendingVisit, VisitInbox } from './inbox.js';
import type { ReadCache } from './read-cache.js';

export interface ViewerPage {
  total: number;
  rows: ViewerSummary[];
}

/** One viewer's pending views within the range. */
interface PendingGroup {
  viewCount: number;
  firstViewedAt: number;
  lastViewedAt: number;
  lastSource: VisitSource;
  /** Sequence of the view that set the last source (the later-recorded one wins a tie). */
  lastSeq: number;
}

const END_OF_TIME = Number.MAX_SAFE_INTEGER;

/**
 * Views in a closed range from which its viewers are grouped by reading the profile's views in
 * viewer order, rather than the range's views in time order and sorting them. Measured on the
 * bench's full file, for the celebrity (a million views a year, 14,000 on a recent day): a page
 * in time order took 58 ms for 14,000 views, 480 ms for 120,000 and 4.2 s for a year; in viewer
 * order 100 to 230 ms whatever the range (the whole profile is read, the range filtered out).
 */
export const BY_VIEWER_FROM = 30_000;

type Range = { ws: string; profile: string; since: number; until: number };

export class VisitorListReader {
  private page;
  private row;
  private rangeCount;
  private daysAfter;
  private boundaryCount;
  private oldestInRange;
  private byTime;
  private byViewer;
  private byTimeExcluding;
  private byViewerExcluding;
  private pageExcluding;
  private excludedInRange;
  private viewsInRange;
  private pairInRange;
  private sourceAt;
  private openEnded;
  private bounded;

  constructor(
    db: SqliteDb,
    private inbox: VisitInbox,
    private cache: ReadCache,
    private byViewerFrom = BY_VIEWER_FROM,
  ) {
    // Served by the covering index visitor_summary_page: the offset is skipped and the page read
    // without touching the table.
    // Blocks leave viewers out (`excludeViewerIds`): the statements that read rows or totals have
    // a second form with `@exclude`, a JSON list, so that lists without blocks run unchanged.
    const pageOf = (not: string) =>
      db
        .prepare<{ ws: string; profile: string; since: number; limit: number; offset: number; exclude?: string }, SummaryTuple>(`
      SELECT ${SUMMARY_COLUMNS} FROM main.visitor_summary
      WHERE workspace_id = @ws AND profile_id = @profile AND last_viewed_at >= @since${not}
      ORDER BY last_viewed_at DESC, viewer_id LIMIT @limit OFFSET @offset`)
        .raw();
    this.page = pageOf('');
    this.pageExcluding = pageOf(EXCLUDE);
    this.excludedInRange = db
      .prepare<{ ws: string; profile: string; since: number; exclude: string }, number>(
        `SELECT count(*) FROM main.visitor_summary WHERE workspace_id = @ws AND profile_id = @profile AND last_viewed_at >= @since
         AND viewer_id IN (SELECT value FROM json_each(@exclude))`,
      )
      .pluck();
    this.row = db
      .prepare<[string, string, string], SummaryTuple>(`SELECT ${SUMMARY_COLUMNS} FROM main.visitor_summary WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ?`)
      .raw();
    this.rangeCount = db.prepare<[string, string, string, number, number], { n: number; first: number }>(
      'SELECT count(*) AS n, min(viewed_at) AS first FROM main.visits WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ? AND viewed_at >= ? AND viewed_at < ?',
    );
    this.daysAfter = db.prepare<[string, string, number], { n: number | null }>(
      'SELECT sum(viewers) AS n FROM main.viewer_day_counts WHERE workspace_id = ? AND profile_id = ? AND day > ?',
    );
    this.boundaryCount = db.prepare<[string, string, number, number], { n: number }>(
      'SELECT count(*) AS n FROM main.visitor_summary WHERE workspace_id = ? AND profile_id = ? AND last_viewed_at >= ? AND last_viewed_at < ?',
    );
    this.oldestInRange = db
      .prepare<[string, string, number], number>(
        'SELECT last_viewed_at FROM main.visitor_summary WHERE workspace_id = ? AND profile_id = ? AND last_viewed_at >= ? ORDER BY last_viewed_at LIMIT 1',
      )
      .pluck();
    // A closed range counts raw views: the folded ones here (a visit is in `visits` once folded),
    // the pending ones merged in by `readBounded`. Two plans, by how many views the range holds:
    // few are grouped after reading them in time order, many by reading the profile's views in
    // viewer order, which groups them without sorting (see BY_VIEWER_FROM).
    const where = 'workspace_id = @ws AND profile_id = @profile AND viewed_at >= @since AND viewed_at < @until';
    const plan = (index: string, not: string) => ({
      page: db
        .prepare<[Range & { limit: number; offset: number }], RangeTuple>(`
        SELECT viewer_id, count(*), min(viewed_at), max(viewed_at) AS last FROM main.visits INDEXED BY ${index} WHERE ${where}${not}
        GROUP BY viewer_id ORDER BY last DESC, viewer_id LIMIT @limit OFFSET @offset`)
        .raw(),
      total: db.prepare<[Range], number>(`SELECT count(*) FROM (SELECT 1 FROM main.visits INDEXED BY ${index} WHERE ${where}${not} GROUP BY viewer_id)`).pluck(),
    });
    this.byTime = plan('visits_profile_time', '');
    this.byViewer = plan('visits_profile_viewer_time', '');
    this.byTimeExcluding = plan('visits_profile_time', EXCLUDE);
    this.byViewerExcluding = plan('visits_profile_viewer_time', EXCLUDE);
    this.viewsInRange = db
      .prepare<[Range & { cap: number }], number>(`SELECT count(*) FROM (SELECT 1 FROM main.visits INDEXED BY visits_profile_time WHERE ${where} LIMIT @cap)`)
      .pluck();
    this.pairInRange = db
      .prepare<[Range & { viewer: string }], [viewCount: number, firstViewedAt: number | null, lastViewedAt: number | null]>(
        `SELECT count(*), min(viewed_at), max(viewed_at) FROM main.visits WHERE ${where} AND viewer_id = @viewer`,
      )
      .raw();
    // The latest view's source, folded or pending (a later-recorded view wins a tie).
    const raw = `SELECT viewer_id, viewed_at, source, id AS k FROM main.visits WHERE ${where}
      UNION ALL SELECT viewer_id, viewed_at, source, seq FROM inbox.visit_inbox WHERE ${where}
        AND seq > (SELECT folded_through FROM main.fold_state WHERE id = 1)`;
    this.sourceAt = db
      .prepare<[Range & { viewer: string }], string>(`SELECT source FROM (${raw}) WHERE viewer_id = @viewer ORDER BY k DESC LIMIT 1`)
      .pluck();
    this.openEnded = db.transaction((q: ViewerPageQuery) => this.readOpenEnded(q));
    this.bounded = db.transaction((q: ViewerPageQuery & { until: number }) => this.readBounded(q));
  }

  list(q: ViewerPageQuery): ViewerPage {
    if (q.until !== null) return this.bounded({ ...q, until: q.until });
    // A list with blocks neither reads nor fills the page cache: its key does not say who was
    // left out. Blocked members are few; a block's change drops the pages of both (blocks.ts).
    if (q.excludeViewerIds?.length) return this.openEnded(q);
    const hit = this.cache.page(q.workspaceId, q.profileId, q.since, q.offset, q.limit);
    if (hit) return { total: hit.total, rows: hit.rows as ViewerSummary[] };
    return this.openEnded(q);
  }

  private readOpenEnded(q: ViewerPageQuery): ViewerPage {
    const { workspaceId: ws, profileId: profile, since } = q;
    this.inbox.beginRead();
    const pending = withoutExcluded(q, this.inbox.pending(ws, profile, since, END_OF_TIME));
    const { total, rows, lowestMergedLast, oldestInRange } = pending.length === 0 ? this.folded(q) : this.merged(q, pending);
    if (!this.cache.enabled || q.excludeViewerIds?.length) return { total, rows };
    // As time moves the window on, this answer holds until the oldest viewer in range drops
    // out of the total or a row's oldest in-range view drops out of its count.
    let sinceTo = Math.min(oldestInRange ?? this.oldestInRange.get(ws, profile, since) ?? END_OF_TIME, lowestMergedLast);
    for (const r of rows) sinceTo = Math.min(sinceTo, r.firstViewedAt);
    this.cache.keepPage(ws, profile, { offset: q.offset, limit: q.limit, sinceFrom: since, sinceTo, total, rows });
    return { total, rows };
  }

  /**
   * No pending views in range: the summary alone. A page shorter than asked is the end of the
   * list, so it holds the total (what the offset skipped plus its rows) and the oldest last view
   * in range (its last row): most members have a handful of viewers, and these are three index
   * descents fewer for them (the histogram, the boundary day, the oldest view).
   */
  private folded(q: ViewerPageQuery): ViewerPage & { lowestMergedLast: number; oldestInRange?: number } {
    const rows = this.summaryPage(q, q.offset, q.limit).map(summaryFromTuple);
    // An empty page after an offset may have skipped past the end: its total is unknown.
    const end = rows.length < q.limit && (rows.length > 0 || q.offset === 0);
    const oldestInRange = end ? (rows.at(-1)?.lastViewedAt ?? END_OF_TIME) : undefined;
    for (const r of rows) this.countWithin(q, r);
    const total = end ? q.offset + rows.length : this.total(q);
    return { total, rows, lowestMergedLast: END_OF_TIME, oldestInRange };
  }

  /**
   * Pending views merged into the summary. A pending viewer's merged row replaces their summary
   * row and ranks no lower than it, so the page is found among few summary rows (`mergePage`).
   */
  private merged(q: ViewerPageQuery, pending: PendingVisit[]): ViewerPage & { lowestMergedLast: number; oldestInRange?: number } {
    const { workspaceId: ws, profileId: profile, since } = q;
    const groups = groupByViewer(pending);
    const from = Math.max(0, q.offset - groups.size);
    const window = this.summaryPage(q, from, q.offset + q.limit - from).map(summaryFromTuple);
    const inWindow = new Map(window.map((r) => [r.viewerId, r]));
    const merged: ViewerSummary[] = [];
    const replaced: ViewerSummary[] = [];
    let newViewers = 0;
    let lowestMergedLast = END_OF_TIME;
    for (const [viewerId, g] of groups) {
      const stored = inWindow.get(viewerId) ?? this.storedRow(ws, profile, viewerId);
      const base = stored && stored.lastViewedAt >= since ? this.countWithin(q, { ...stored }) : null;
      if (base) replaced.push(stored!);
      else newViewers++;
      const row = base
        ? mergeLater(base, g)
        : { viewerId, viewCount: g.viewCount, firstViewedAt: g.firstViewedAt, lastViewedAt: g.lastViewedAt, lastSource: g.lastSource };
      lowestMergedLast = Math.min(lowestMergedLast, row.lastViewedAt);
      merged.push(row);
    }
    const page = mergePage(window, from, q.offset, q.limit, merged, replaced);
    for (const r of page) if (!groups.has(r.viewerId)) this.countWithin(q, r);
    return { total: this.total(q) + newViewers, rows: page, lowestMergedLast };
  }

  /** Summary rows in range from `offset`, blocked viewers left out. */
  private summaryPage(q: ViewerPageQuery, offset: number, limit: number): SummaryTuple[] {
    const p = { ws: q.workspaceId, profile: q.profileId, since: q.since, limit, offset };
    return q.excludeViewerIds?.length ? this.pageExcluding.all({ ...p, exclude: JSON.stringify(q.excludeViewerIds) }) : this.page.all(p);
  }

  private storedRow(ws: string, profile: string, viewerId: string): ViewerSummary | undefined {
    const r = this.row.get(ws, profile, viewerId);
    return r && summaryFromTuple(r);
  }

  /**
   * The summary holds all-time counts: a row whose first view predates the range gets its
   * count and first view within the range from the raw visits (an index range per row).
   */
  private countWithin(q: ViewerPageQuery, r: ViewerSummary): ViewerSummary {
    if (r.firstViewedAt >= q.since) return r;
    const c = this.rangeCount.get(q.workspaceId, q.profileId, r.viewerId, q.since, END_OF_TIME)!;
    r.viewCount = c.n;
    r.firstViewedAt = c.first;
    return r;
  }

  /** Distinct folded viewers whose last view is in range: whole days after the boundary from the histogram, the boundary day from the summary index. */
  private total(q: ViewerPageQuery): number {
    const { workspaceId: ws, profileId: profile, since } = q;
    const day = dayOf(since);
    const whole = this.daysAfter.get(ws, profile, day)!.n ?? 0;
    const all = whole + this.boundaryCount.get(ws, profile, since, (day + 1) * 86_400_000)!.n;
    // The histogram counts every viewer: blocked ones in range are taken off.
    if (!q.excludeViewerIds?.length) return all;
    return all - this.excludedInRange.get({ ws, profile, since, exclude: JSON.stringify(q.excludeViewerIds) })!;
  }

  /**
   * A closed range from the raw views: without pending views in range, one grouped page and a
   * count of the folded ones; with some, merged in as for open-ended lists (`mergePage`).
   */
  private readBounded(q: ViewerPageQuery & { until: number }): ViewerPage {
    this.inbox.beginRead();
    const range: Range = { ws: q.workspaceId, profile: q.profileId, since: q.since, until: q.until };
    const pending = withoutExcluded(q, this.inbox.pending(range.ws, range.profile, range.since, range.until));
    const many = this.viewsInRange.get({ ...range, cap: this.byViewerFrom })! >= this.byViewerFrom;
    const plan = q.excludeViewerIds?.length
      ? excluding(many ? this.byViewerExcluding : this.byTimeExcluding, JSON.stringify(q.excludeViewerIds))
      : many
        ? this.byViewer
        : this.byTime;
    const page: ViewerPage =
      pending.length === 0
        ? { total: plan.total.get(range)!, rows: rangeRows(plan.page.all({ ...range, offset: q.offset, limit: q.limit })) }
        : this.mergeBounded(q, range, plan, pending);
    for (const r of page.rows) r.lastSource = this.sourceAt.get({ ...range, since: r.lastViewedAt, viewer: r.viewerId })! as VisitSource;
    return page;
  }

  private mergeBounded(q: ViewerPageQuery, range: Range, plan: RangePlan, pending: PendingVisit[]): ViewerPage {
    const groups = groupByViewer(pending);
    const from = Math.max(0, q.offset - groups.size);
    const window = rangeRows(plan.page.all({ ...range, offset: from, limit: q.offset + q.limit - from }));
    const inWindow = new Map(window.map((r) => [r.viewerId, r]));
    const merged: ViewerSummary[] = [];
    const replaced: ViewerSummary[] = [];
    let newViewers = 0;
    for (const [viewerId, g] of groups) {
      let folded = inWindow.get(viewerId);
      if (!folded) {
        const [viewCount, firstViewedAt, lastViewedAt] = this.pairInRange.get({ ...range, viewer: viewerId })!;
        if (viewCount > 0) folded = { viewerId, viewCount, firstViewedAt: firstViewedAt!, lastViewedAt: lastViewedAt!, lastSource: 'other' };
      }
      if (folded) replaced.push(folded);
      else newViewers++;
      merged.push({
        viewerId,
        viewCount: (folded?.viewCount ?? 0) + g.viewCount,
        firstViewedAt: Math.min(folded?.firstViewedAt ?? END_OF_TIME, g.firstViewedAt),
        lastViewedAt: Math.max(folded?.lastViewedAt ?? 0, g.lastViewedAt),
        lastSource: 'other',
      });
    }
    return { total: plan.total.get(range)! + newViewers, rows: mergePage(window, from, q.offset, q.limit, merged, replaced) };
  }
}

const EXCLUDE = ' AND viewer_id NOT IN (SELECT value FROM json_each(@exclude))';

/** Pending views of viewers a block leaves out are dropped before they are grouped. */
function withoutExcluded(q: ViewerPageQuery, pending: PendingVisit[]): PendingVisit[] {
  if (!q.excludeViewerIds?.length || pending.length === 0) return pending;
  const out = new Set(q.excludeViewerIds);
  return pending.filter((p) => !out.has(p.viewerId));
}

/** A range plan's statements with the blocked viewers' list bound. */
function excluding(plan: RangePlan, exclude: string): RangePlan {
  return {
    page: { all: (p) => plan.page.all({ ...p, exclude } as never) },
    total: { get: (p) => plan.total.get({ ...p, exclude } as never) },
  };
}

type RangeTuple = [viewerId: string, viewCount: number, firstViewedAt: number, lastViewedAt: number];

/** One way of grouping a closed range's folded views (see BY_VIEWER_FROM). */
interface RangePlan {
  page: { all(p: Range & { offset: number; limit: number }): RangeTuple[] };
  total: { get(p: Range): number | undefined };
}

/** Grouped views of a closed range; the last source is read for the page's rows only. */
function rangeRows(tuples: RangeTuple[]): ViewerSummary[] {
  return tuples.map(([viewerId, viewCount, firstViewedAt, lastViewedAt]) => ({ viewerId, viewCount, firstViewedAt, lastViewedAt, lastSource: 'other' }));
}

/**
 * The rows at [offset, offset + limit) of a list in which some viewers' folded rows (`replaced`)
 * give way to their merged rows (`merged`), each ranking no lower than the row it replaces.
 * `window` holds the folded rows from index `from` = max(0, offset - merged.length) to
 * offset + limit (fewer at the end of the list). A folded row that stays moves down by the
 * replaced rows ahead of it and up by the merged rows ahead of it, so it moves up by at most
 * merged.length and never down: every one that can land on the page is in the window. A merged
 * row is placed among the window's rows; one ahead of a window that starts past 0 then gets a
 * rank too high but still before the page, one behind a full window a rank too low but still
 * after it (each replaced row ahead of a merged row has its own merged row ahead of it too).
 */
export function mergePage(
  window: readonly ViewerSummary[],
  from: number,
  offset: number,
  limit: number,
  merged: readonly ViewerSummary[],
  replaced: readonly ViewerSummary[],
): ViewerSummary[] {
  const ids = new Set(merged.map((r) => r.viewerId));
  const mergedSorted = [...merged].sort(newestFirst);
  const replacedSorted = [...replaced].sort(newestFirst);
  const end = offset + limit;
  const placed: [rank: number, row: ViewerSummary][] = [];
  const place = (rank: number, row: ViewerSummary) => {
    if (rank >= offset && rank < end) placed.push([rank, row]);
  };
  window.forEach((r, i) => {
    if (!ids.has(r.viewerId)) place(from + i - ahead(replacedSorted, r) + ahead(mergedSorted, r), r);
  });
  mergedSorted.forEach((m, j) => place(from + ahead(window, m) - ahead(replacedSorted, m) + j, m));
  return placed.sort((a, b) => a[0] - b[0]).map(([, row]) => row);
}

/** How many rows of `sorted` (in list order) rank strictly ahead of `row`. */
function ahead(sorted: readonly ViewerSummary[], row: ViewerSummary): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (newestFirst(sorted[mid]!, row) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function groupByViewer(pending: readonly PendingVisit[]): Map<string, PendingGroup> {
  const groups = new Map<string, PendingGroup>();
  for (const p of pending) {
    const g = groups.get(p.viewerId);
    if (!g) {
      groups.set(p.viewerId, { viewCount: 1, firstViewedAt: p.viewedAt, lastViewedAt: p.viewedAt, lastSource: p.source, lastSeq: p.seq });
      continue;
    }
    g.viewCount++;
    g.firstViewedAt = Math.min(g.firstViewedAt, p.viewedAt);
    if (p.viewedAt > g.lastViewedAt || (p.viewedAt === g.lastViewedAt && p.seq > g.lastSeq)) {
      g.lastViewedAt = p.viewedAt;
      g.lastSource = p.source;
      g.lastSeq = p.seq;
    }
  }
  return groups;
}

/** The summary index's order: newest last view first, then viewer id as SQLite compares text (bytewise UTF-8). */
export function newestFirst(a: Pick<ViewerSummary, 'lastViewedAt' | 'viewerId'>, b: Pick<ViewerSummary, 'lastViewedAt' | 'viewerId'>): number {
  if (a.lastViewedAt !== b.lastViewedAt) return b.lastViewedAt - a.lastViewedAt;
  return Buffer.compare(Buffer.from(a.viewerId), Buffer.from(b.viewerId));
}
