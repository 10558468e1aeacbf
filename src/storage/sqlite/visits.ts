import { decideVisit, type AcceptedVisit, type RecordOutcome, type PairView, type StoredVisit, type ViewedProfile, type ViewerCursorQuery, type ViewerPageQuery, type ViewerSummary, type VisitStore } from '../../core/index.js';
import type { SqliteDb } from './database.js';
import { foldPending } from './fold.js';
import { VisitInbox } from './inbox.js';
import type { ReadCache } from './read-cache.js';
import { VisitorListReader } from './visitor-list.js';
import { ViewerCursorReader } from './viewer-cursor.js';
import type { Changed, SqliteWrites } from './writes.js';
import { VISIT_ERASE_SQL } from './erase-visits.js';

/**
 * When recorded visits are folded from the inbox into the summary (fold.ts): `background` by
 * the fold thread (folder.ts), the default; `inline` right after each recording, in this
 * thread (an in-memory database, which a second connection cannot open); `manual` only when
 * `foldPending` is called (tests read with visits pending that way).
 */
export type FoldPolicy = 'background' | 'inline' | 'manual';

export interface FoldControl {
  policy: FoldPolicy;
  /** Tells the fold thread something was recorded. */
  wake(): void;
  /** Visits recorded and not folded beyond which recording waits (MAX_PENDING by default). */
  maxPending?: number;
}

/** Visits per group commit, see `flush`. */
const GROUP_VISITS = 2_000;

/**
 * Visits recorded but not folded beyond which recording waits for the fold: the inbox and the
 * work of merging it into reads stay bounded (about 20 MB of inbox; a list of a profile holding
 * a tenth of it merges 20,000 pending views). At the fold's pace on the bench dataset (about
 * 7,000 visits/s on its own core) that is half a minute of backlog.
 */
export const MAX_PENDING = 200_000;
const BACKPRESSURE_RETRY_MS = 20;

interface Job {
  workspaceId: string;
  visits: readonly AcceptedVisit[];
  windowMs: number;
  resolve(outcomes: RecordOutcome[]): void;
  reject(err: unknown): void;
}

/**
 * Recording appends to the inbox by group commit: calls arriving in the same turn of the event
 * loop are queued and committed together in one transaction, so concurrent single-visit
 * requests share one WAL commit (and one fsync with synchronous=FULL) instead of paying one
 * each. Every caller is answered only after that commit, which makes the visit durable; the
 * fold into the summary comes later and changes nothing a reader sees (visitor-list.ts merges
 * the inbox in). A recording writes only the inbox, which the fold never writes: it never waits
 * for a fold.
 */
export class SqliteVisits implements VisitStore {
  private queue: Job[] = [];
  /** From the first queued job until the queue is empty again. */
  private active = false;
  private flushQueued = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};

  private byClientId;
  private visitOfClientId;
  private viewedPage;
  private summary;
  private nearby;
  private backlog;
  private eraseSteps;
  private inbox;
  private reader;
  private cursorReader;

  constructor(
    private db: SqliteDb,
    cache: ReadCache,
    private writes: SqliteWrites,
    private fold: FoldControl,
    byViewerFrom?: number,
  ) {
    this.inbox = new VisitInbox(db);
    this.reader = new VisitorListReader(db, this.inbox, cache, byViewerFrom);
    this.cursorReader = new ViewerCursorReader(db, this.inbox);
    this.byClientId = db.prepare<[string, string], { id: number }>('SELECT id FROM main.visits WHERE workspace_id = ? AND client_id = ?');
    // Folded first, then the inbox: a visit is in one or the other (or both, briefly, with the same values).
    this.visitOfClientId = db.prepare<[string, string, string, string], { profile_id: string; viewer_id: string; viewed_at: number }>(
      `SELECT profile_id, viewer_id, viewed_at FROM main.visits WHERE workspace_id = ? AND client_id = ?
       UNION ALL SELECT profile_id, viewer_id, viewed_at FROM inbox.visit_inbox WHERE workspace_id = ? AND client_id = ? LIMIT 1`,
    );
    // A page of the summary by viewer (its index, in profile order), merged with the viewer's
    // pending visits beyond the fold (a scan of the small inbox); the inner limit keeps each
    // page an index range however many profiles the viewer viewed.
    this.viewedPage = db.prepare<{ ws: string; viewer: string; after: string; limit: number }, { profile_id: string; n: number; f: number; l: number }>(
      `SELECT profile_id, sum(n) AS n, min(f) AS f, max(l) AS l FROM (
         SELECT * FROM (SELECT profile_id, view_count AS n, first_viewed_at AS f, last_viewed_at AS l FROM main.visitor_summary
           WHERE workspace_id = :ws AND viewer_id = :viewer AND profile_id > :after ORDER BY profile_id LIMIT :limit)
         UNION ALL
         SELECT profile_id, count(*), min(viewed_at), max(viewed_at) FROM inbox.visit_inbox
           WHERE workspace_id = :ws AND viewer_id = :viewer AND profile_id > :after AND seq > (SELECT folded_through FROM main.fold_state WHERE id = 1)
           GROUP BY profile_id)
       GROUP BY profile_id ORDER BY profile_id LIMIT :limit`,
    );
    this.summary = db.prepare<[string, string, string], { last_viewed_at: number }>(
      'SELECT last_viewed_at FROM main.visitor_summary WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ?',
    );
    this.nearby = db.prepare<[string, string, string, number, number], { one: number }>(
      'SELECT 1 AS one FROM main.visits WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ? AND viewed_at > ? AND viewed_at < ? LIMIT 1',
    );
    this.eraseSteps = VISIT_ERASE_SQL.map((sql) => db.prepare<[{ ws: string; id: string }]>(sql));
    this.backlog = db
      .prepare<[], number>('SELECT (SELECT last_seq FROM inbox.inbox_state WHERE id = 1) - (SELECT folded_through FROM main.fold_state WHERE id = 1)')
      .pluck();
  }

  /**
   * One group commit. The inbox epoch moves first (writes.ts), so the transaction holds the
   * inbox's lock before reading anything; the cached pages of the profiles written to are stale
   * once committed, and dropped before anyone is answered.
   */
  private commit(jobs: readonly Job[]): RecordOutcome[][] {
    const changed: Changed[] = jobs.map((j) => ({ workspaceId: j.workspaceId, pages: new Set(j.visits.map((v) => v.profileId)) }));
    return this.writes.inbox(changed, () => {
      this.inbox.beginGroup();
      const outcomes = jobs.map((j) => j.visits.map((v) => this.apply(j.workspaceId, v, j.windowMs)));
      this.inbox.endGroup();
      return outcomes;
    });
  }

  record(workspaceId: string, visits: readonly AcceptedVisit[], windowMs: number): Promise<RecordOutcome[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ workspaceId, visits, windowMs, resolve, reject });
      this.schedule(0);
    });
  }

  /** Resolves when every queued write is committed (used on shutdown). */
  drain(): Promise<void> {
    return this.active ? this.idle : Promise.resolve();
  }

  /** Visits recorded and not folded yet, by any process. */
  pending(): number {
    return Math.max(0, this.backlog.get()!);
  }

  private schedule(delayMs: number): void {
    if (!this.active) {
      this.active = true;
      this.idle = new Promise((r) => (this.markIdle = r));
    }
    if (this.flushQueued) return;
    this.flushQueued = true;
    const run = () => {
      this.flushQueued = false;
      this.flush();
    };
    if (delayMs > 0) setTimeout(run, delayMs);
    else setImmediate(run);
  }

  /** One group commit; reschedules the next while jobs remain. */
  private flush(): void {
    if (this.queue.length === 0) {
      this.active = false;
      return this.markIdle();
    }
    if (this.fold.policy !== 'inline' && this.pending() >= (this.fold.maxPending ?? MAX_PENDING)) {
      this.fold.wake();
      return this.schedule(BACKPRESSURE_RETRY_MS);
    }
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
    try {
      const results = this.commit(jobs);
      jobs.forEach((j, i) => j.resolve(results[i]!));
    } catch {
      // One job's failure must not fail its neighbours: retry each alone, so only it is refused.
      for (const j of jobs) {
        try {
          j.resolve(this.commit([j])[0]!);
        } catch (err) {
          j.reject(err);
        }
      }
    }
    if (this.fold.policy === 'background') this.fold.wake();
    else if (this.fold.policy === 'inline') this.foldNow();
    if (this.queue.length > 0) this.schedule(0);
    else {
      this.active = false;
      this.markIdle();
    }
  }

  /**
   * Folds pending visits in this thread, `limit` at a time until none is left (or one batch
   * only, with `once`); returns how many were folded. Folding changes nothing a reader sees.
   */
  foldNow(limit = 5_000, once = false): number {
    return this.writes.unseen(() => {
      let total = 0;
      for (let n = foldPending(this.db, limit); n > 0; n = once ? 0 : foldPending(this.db, limit)) total += n;
      return total;
    });
  }

  /**
   * The recording rule (core/rules/recording-rule.ts) decides; its facts come from the folded
   * tables and the inbox, inside the group transaction, so later visits of the group see earlier
   * ones (a visit may still be in the inbox). A counted visit is appended to the inbox and the
   * visit log.
   */
  private apply(ws: string, v: AcceptedVisit, windowMs: number): RecordOutcome {
    const decision = decideVisit(
      v,
      {
        replayed: () => this.byClientId.get(ws, v.clientId!) !== undefined || this.inbox.hasClientId(ws, v.clientId!),
        lastView: () => {
          const stored = this.summary.get(ws, v.profileId, v.viewerId)?.last_viewed_at;
          const pending = this.inbox.lastView(ws, v.profileId, v.viewerId);
          return stored === undefined ? pending : pending === null ? stored : Math.max(stored, pending);
        },
        viewedBetween: (after, before) =>
          this.nearby.get(ws, v.profileId, v.viewerId, after, before) !== undefined || this.inbox.viewedBetween(ws, v.profileId, v.viewerId, after, before),
      },
      windowMs,
    );
    if (decision === 'replayed') return { status: 'replayed', visitId: v.clientId! };
    if (decision === 'deduplicated') return { status: 'deduplicated', visitId: v.clientId ?? '' };
    const seq = this.inbox.append(ws, v);
    return { status: 'recorded', visitId: v.clientId ?? String(seq) };
  }

  /** They leave other members' lists too: every cached page goes (writes.ts). */
  async eraseMember(workspaceId: string, memberId: string): Promise<void> {
    await this.writes.both('everything', () => {
      for (const step of this.eraseSteps) step.run({ ws: workspaceId, id: memberId });
    });
  }

  async byClientIds(workspaceId: string, clientIds: readonly string[]): Promise<Map<string, StoredVisit>> {
    const out = new Map<string, StoredVisit>();
    for (const id of new Set(clientIds)) {
      const r = this.visitOfClientId.get(workspaceId, id, workspaceId, id);
      if (r) out.set(id, { profileId: r.profile_id, viewerId: r.viewer_id, viewedAt: r.viewed_at });
    }
    return out;
  }

  async viewedBy(workspaceId: string, viewerId: string, afterProfileId: string, limit: number): Promise<ViewedProfile[]> {
    return this.viewedPage
      .all({ ws: workspaceId, viewer: viewerId, after: afterProfileId, limit })
      .map((r) => ({ profileId: r.profile_id, viewCount: r.n, firstViewedAt: r.f, lastViewedAt: r.l }));
  }

  async listViewers(q: ViewerPageQuery): Promise<{ total: number; rows: ViewerSummary[] }> {
    return this.reader.list(q);
  }

  async viewersAfter(q: ViewerCursorQuery): Promise<{ rows: ViewerSummary[] }> {
    return { rows: this.cursorReader.page(q) };
  }

  async viewsOfPair(workspaceId: string, profileId: string, viewerId: string, since: number): Promise<PairView[]> {
    return this.cursorReader.viewsOfPair(workspaceId, profileId, viewerId, since);
  }
}
