import type { AcceptedVisit, RecordOutcome, ViewerPageQuery, ViewerSummary, VisitStore } from '../../core/index.js';
import type { SqliteDb } from './database.js';
import { foldPending } from './fold.js';
import { VisitInbox } from './inbox.js';
import type { ReadCache } from './read-cache.js';
import { VisitorListReader } from './visitor-list.js';

/**
 * When recorded visits are folded from the inbox into the summary: `inline` in the recording
 * transaction itself; `manual` only when `foldPending` is called (tests use it to read with
 * visits pending).
 */
export type FoldPolicy = 'inline' | 'manual';

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
  private commit;
  private inbox;
  private reader;

  constructor(
    private db: SqliteDb,
    private cache: ReadCache,
    private foldPolicy: FoldPolicy = 'inline',
  ) {
    this.inbox = new VisitInbox(db);
    this.reader = new VisitorListReader(db, this.inbox, cache);
    this.byClientId = db.prepare<[string, string], { id: number }>('SELECT id FROM visits WHERE workspace_id = ? AND client_id = ?');
    this.summary = db.prepare<[string, string, string], { last_viewed_at: number }>(
      'SELECT last_viewed_at FROM visitor_summary WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ?',
    );
    this.nearby = db.prepare<[string, string, string, number, number], { one: number }>(
      'SELECT 1 AS one FROM visits WHERE workspace_id = ? AND profile_id = ? AND viewer_id = ? AND viewed_at > ? AND viewed_at < ? LIMIT 1',
    );
    this.commit = db.transaction((jobs: Job[]) => {
      const outcomes = jobs.map((j) => j.visits.map((v) => this.apply(j.workspaceId, v, j.windowMs)));
      if (this.foldPolicy === 'inline') while (foldPending(db, FOLD_BATCH) > 0);
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

  async listViewers(q: ViewerPageQuery): Promise<{ total: number; rows: ViewerSummary[] }> {
    return this.reader.list(q);
  }
}
