import type { AcceptedVisit, RecordOutcome, ViewerPageQuery, ViewerSummary, VisitStore } from '../../core/index.js';
import { summaryFromRow, type SummaryRow } from '../rows.js';
import { dayOf } from '../viewer-days.js';
import type { SqliteDb } from './database.js';
import { foldPending } from './fold.js';
import { VisitInbox } from './inbox.js';
import type { ReadCache } from './read-cache.js';

/** Visits folded per statement batch (fold.ts). */
const FOLD_BATCH = 5_000;

/** Visits per group commit, see `flush`. */
const GROUP_VISITS = 2_000;

interface Job {
  workspaceId: string;
  visits: readonly AcceptedVisit[];
  windowMs: number;
  resolve(outcomes: RecordOutcome[]): void;
  reject(err: unknown): void;
}

/**
 * Visits are written by group commit: calls arriving in the same turn of the event loop are
 * queued and committed together in one transaction, so concurrent single-visit requests share
 * one WAL commit (and one fsync with synchronous=FULL) instead of paying one each. Every caller
 * is answered only after that commit.
 */
export class SqliteVisits implements VisitStore {
  private queue: Job[] = [];
  private scheduled = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};

  private byClientId;
  private summary;
  private nearby;
  private page;
  private rangeCount;
  private rawPage;
  private rawTotal;
  private sourceAt;
  private commit;
  private daysAfter;
  private boundaryCount;
  private oldestInRange;
  private inbox;

  constructor(
    private db: SqliteDb,
    private cache: ReadCache,
  ) {
    this.inbox = new VisitInbox(db);
    this.byClientId = db.prepare<[string, string], { id: number }>('SELECT id FROM visits WHERE workspace_id = ? AND client_id = ?');
    this.summary = db.prepare<[string, string, string], { last_viewed_at: number }>(
      'SELECT last_viewed_at FROM visitor_summary WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ?',
    );
    this.nearby = db.prepare<[string, string, string, number, number], { one: number }>(
      'SELECT 1 AS one FROM visits WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ? AND viewed_at > ? AND viewed_at < ? LIMIT 1',
    );
    // Served by the covering index visitor_summary_page: the offset is skipped and the page read
    // without touching the table.
    this.page = db.prepare<{ ws: string; profile: string; since: number; limit: number; offset: number }, SummaryRow>(`
      SELECT viewer_id, view_count, first_viewed_at, last_viewed_at, last_source FROM visitor_summary
      WHERE workspace_id = @ws AND profile_id = @profile AND last_viewed_at >= @since
      ORDER BY last_viewed_at DESC, viewer_id LIMIT @limit OFFSET @offset`);
    this.rangeCount = db.prepare<[string, string, string, number, number], { n: number; first: number }>(
      'SELECT count(*) AS n, min(viewed_at) AS first FROM visits WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ? AND viewed_at >= ? AND viewed_at < ?',
    );
    this.rawPage = db.prepare<[string, string, number, number, number, number], Omit<SummaryRow, 'last_source'>>(`
      SELECT viewer_id, count(*) AS view_count, min(viewed_at) AS first_viewed_at, max(viewed_at) AS last_viewed_at
      FROM visits WHERE workspace_id = ? AND profile_id = ? AND viewed_at >= ? AND viewed_at < ?
      GROUP BY viewer_id ORDER BY last_viewed_at DESC, viewer_id LIMIT ? OFFSET ?`);
    this.rawTotal = db.prepare<[string, string, number, number], { n: number }>(
      'SELECT count(DISTINCT viewer_id) AS n FROM visits WHERE workspace_id = ? AND profile_id = ? AND viewed_at >= ? AND viewed_at < ?',
    );
    this.sourceAt = db.prepare<[string, string, string, number], { source: string }>(
      'SELECT source FROM visits WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ? AND viewed_at = ? ORDER BY id DESC LIMIT 1',
    );
    this.daysAfter = db.prepare<[string, string, number], { n: number | null }>(
      'SELECT sum(viewers) AS n FROM viewer_day_counts WHERE workspace_id = ? AND profile_id = ? AND day > ?',
    );
    this.boundaryCount = db.prepare<[string, string, number, number], { n: number }>(
      'SELECT count(*) AS n FROM visitor_summary WHERE workspace_id = ? AND profile_id = ? AND last_viewed_at >= ? AND last_viewed_at < ?',
    );
    this.oldestInRange = db.prepare<[string, string, number], number>(
      'SELECT last_viewed_at FROM visitor_summary WHERE workspace_id = ? AND profile_id = ? AND last_viewed_at >= ? ORDER BY last_viewed_at LIMIT 1',
    ).pluck();
    this.commit = db.transaction((jobs: Job[]) => {
      const outcomes = jobs.map((j) => j.visits.map((v) => this.apply(j.workspaceId, v, j.windowMs)));
      while (foldPending(db, FOLD_BATCH) > 0);
      return outcomes;
    });
  }

  record(workspaceId: string, visits: readonly AcceptedVisit[], windowMs: number): Promise<RecordOutcome[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ workspaceId, visits, windowMs, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        this.idle = new Promise((r) => (this.markIdle = r));
        setImmediate(() => this.flush());
      }
    });
  }

  /** Resolves when every queued write is committed (used on shutdown). */
  drain(): Promise<void> {
    return this.scheduled ? this.idle : Promise.resolve();
  }

  private flush(): void {
    // One group commit takes whole jobs up to about GROUP_VISITS visits: enough to share a
    // commit among many concurrent requests, small enough that 50 concurrent 1,000-visit batches
    // are answered one group at a time rather than all together after one huge transaction.
    let taken = 0;
    let visits = 0;
    while (taken < this.queue.length && (taken === 0 || visits + this.queue[taken]!.visits.length <= GROUP_VISITS)) {
      visits += this.queue[taken]!.visits.length;
      taken++;
    }
    const jobs = this.queue.splice(0, taken);
    this.scheduled = false;
    try {
      const results = this.commit.immediate(jobs);
      this.forgetPages(jobs);
      jobs.forEach((j, i) => j.resolve(results[i]!));
    } catch {
      // One job's failure must not fail its neighbours: retry each alone, so only it is refused.
      this.forgetPages(jobs);
      for (const j of jobs) {
        try {
          j.resolve(this.commit.immediate([j])[0]!);
        } catch (err) {
          j.reject(err);
        }
      }
    }
    if (this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    } else this.markIdle();
  }

  /** Cached pages of the profiles these jobs wrote to are stale once committed (and before anyone is answered). */
  private forgetPages(jobs: readonly Job[]): void {
    for (const j of jobs) this.cache.dropPages(j.workspaceId, new Set(j.visits.map((v) => v.profileId)));
  }

  /**
   * Idempotency first, then the dedup window, then the append to the inbox; runs inside the
   * group transaction, so later visits of the group see earlier ones. Folded and pending visits
   * both count: a visit may still be in the inbox.
   */
  private apply(ws: string, v: AcceptedVisit, windowMs: number): RecordOutcome {
    if (v.clientId !== null && (this.byClientId.get(ws, v.clientId) || this.inbox.hasClientId(ws, v.clientId))) {
      return { status: 'replayed', visitId: v.clientId };
    }
    if (windowMs > 0) {
      const stored = this.summary.get(ws, v.profileId, v.viewerId)?.last_viewed_at;
      const pending = this.inbox.lastView(ws, v.profileId, v.viewerId);
      const last = stored === undefined ? pending : pending === null ? stored : Math.max(stored, pending);
      if (last !== null) {
        const [after, before] = [v.viewedAt - windowMs, v.viewedAt + windowMs];
        const duplicate =
          v.viewedAt >= last
            ? v.viewedAt - last < windowMs
            : this.nearby.get(ws, v.profileId, v.viewerId, after, before) !== undefined || this.inbox.viewedBetween(ws, v.profileId, v.viewerId, after, before);
        if (duplicate) return { status: 'deduplicated', visitId: v.clientId ?? '' };
      }
    }
    const seq = this.inbox.append(ws, v);
    return { status: 'recorded', visitId: v.clientId ?? String(seq) };
  }

  /** Whole days after the boundary from the histogram, the boundary day itself from the summary index. */
  private openEndedTotal(ws: string, profile: string, since: number): number {
    const day = dayOf(since);
    const whole = this.daysAfter.get(ws, profile, day)!.n ?? 0;
    return whole + this.boundaryCount.get(ws, profile, since, (day + 1) * 86_400_000)!.n;
  }

  async listViewers(q: ViewerPageQuery): Promise<{ total: number; rows: ViewerSummary[] }> {
    if (q.until === null) {
      const hit = this.cache.page(q.workspaceId, q.profileId, q.since, q.offset, q.limit);
      if (hit) return { total: hit.total, rows: hit.rows as ViewerSummary[] };
      // The summary holds all-time counts; rows whose first view predates the range get exact
      // in-range counts from the raw visits (a handful of index lookups per page).
      const rows = this.page.all({ ws: q.workspaceId, profile: q.profileId, since: q.since, limit: q.limit, offset: q.offset }).map(summaryFromRow);
      for (const r of rows) {
        if (r.firstViewedAt >= q.since) continue;
        const c = this.rangeCount.get(q.workspaceId, q.profileId, r.viewerId, q.since, Number.MAX_SAFE_INTEGER)!;
        r.viewCount = c.n;
        r.firstViewedAt = c.first;
      }
      const total = this.openEndedTotal(q.workspaceId, q.profileId, q.since);
      // As time moves the window on, this answer holds until the oldest viewer in range drops
      // out of the total or a row's oldest in-range view drops out of its count.
      let sinceTo = this.oldestInRange.get(q.workspaceId, q.profileId, q.since) ?? Number.MAX_SAFE_INTEGER;
      for (const r of rows) sinceTo = Math.min(sinceTo, r.firstViewedAt);
      this.cache.keepPage(q.workspaceId, q.profileId, { offset: q.offset, limit: q.limit, sinceFrom: q.since, sinceTo, total, rows });
      return { total, rows };
    }
    const rows = this.rawPage.all(q.workspaceId, q.profileId, q.since, q.until, q.limit, q.offset).map((r) =>
      summaryFromRow({
        ...r,
        last_source: this.sourceAt.get(q.workspaceId, q.profileId, r.viewer_id, Number(r.last_viewed_at))!.source,
      }),
    );
    return { total: this.rawTotal.get(q.workspaceId, q.profileId, q.since, q.until)!.n, rows };
  }
}
