import type pg from 'pg';
import { eraseVisitsOf } from './erase-visits.js';
import { decideVisit, mergeView, type AcceptedVisit, type Member, type RecordOutcome, type StoredVisit, type PairView, type ViewedProfile, type ViewerCursorQuery, type ViewerPageQuery, type ViewerRows, type VisitSource, type VisitStore } from '../../core/index.js';
import { memberColumnsOf, memberFromTuple, type MemberTuple } from '../rows.js';
import { RetryTransaction, type PgDatabase } from './database.js';
import { isMissingPartition, type VisitPartitions } from './partitions.js';
import { addDayDelta, dayDeltaColumns, dayOf } from '../viewer-days.js';

/**
 * Step 1 of `record`: make sure a summary row exists for every (profile, viewer) of the batch,
 * so that step 2 has a row to lock even for a first visit. A new row is written with what the
 * batch makes of a pair that has no stored visit ($4 to $7, a count of 0 where the batch counts
 * none): for a first visit, the usual case, that is already the row to commit, and it is
 * written once instead of inserted and then updated (every update of a summary moves its
 * entries in all three indexes, since `last_viewed_at` is indexed). Keys are inserted in one
 * fixed order: two batches creating the same new pairs wait for each other instead of
 * deadlocking. The rows it returns are the ones it inserted, which this transaction holds
 * already: step 2 locks only the others, and is left out when there are none (a first visit of
 * its pair, most single visits).
 */
const CREATE_MISSING = `INSERT INTO visitor_summary (workspace_id, profile_id, viewer_id, view_count, first_viewed_at, last_viewed_at, last_source)
  SELECT $1, p, v, n, f, l, src FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[], $7::text[]) AS t(p, v, n, f, l, src)
  ORDER BY p COLLATE "C", v COLLATE "C"
  ON CONFLICT DO NOTHING
  RETURNING profile_id, viewer_id`;

/**
 * Step 2: lock the batch's summary rows that step 1 did not insert, in key order (the lock is
 * taken above the sort).
 * From here to COMMIT this transaction is the only writer of these pairs in any process: a
 * concurrent `record` of the same pair waits here, then reads what this one committed.
 */
const LOCK_SUMMARIES = `SELECT s.profile_id, s.viewer_id, s.view_count, s.first_viewed_at, s.last_viewed_at, s.last_source
  FROM visitor_summary s JOIN unnest($2::text[], $3::text[]) AS t(p, v) ON s.profile_id = t.p AND s.viewer_id = t.v
  WHERE s.workspace_id = $1
  ORDER BY s.profile_id, s.viewer_id
  FOR UPDATE OF s`;

const SEEN_CLIENT_IDS = 'SELECT client_id FROM visit_client_ids WHERE workspace_id = $1 AND client_id = ANY($2::text[])';

/** Which of these visits have a stored visit of the same pair closer than the window ($5). */
const NEAR_STORED = `SELECT t.i FROM unnest($2::text[], $3::text[], $4::int8[], $6::int4[]) AS t(p, v, at, i)
  WHERE EXISTS (SELECT 1 FROM visits WHERE workspace_id = $1 AND profile_id = t.p AND viewer_id = t.v
                AND viewed_at > t.at - $5::int8 AND viewed_at < t.at + $5::int8)`;

/**
 * Step 4, one statement: claim the client ids, insert the visits (ids drawn in input order
 * from the sequence), write the summaries computed under the locks where step 1 did not write
 * them already, drop the rows step 1 created for pairs the batch ends up not counting, and
 * append the visits to the visit log (docs/visit-log.md) at positions taken from the
 * workspace's head row, which stays locked until COMMIT: positions commit in order. The head is
 * locked last, after the summaries, by every recording: no lock cycle.
 * A client id claimed meanwhile by another transaction (the same id sent for another pair)
 * comes back short: the whole transaction is then run again and sees it as a replay.
 */
const WRITE = `WITH claimed AS (
    INSERT INTO visit_client_ids (workspace_id, client_id, viewed_at)
    SELECT $1, c, at FROM unnest($7::text[], $8::int8[]) AS t(c, at) ORDER BY c COLLATE "C"
    ON CONFLICT DO NOTHING RETURNING 1
  ), input AS MATERIALIZED (
    SELECT t.*, nextval('visits_id_seq') AS id
    FROM unnest($2::text[], $3::text[], $4::int8[], $5::text[], $6::text[]) WITH ORDINALITY AS t(p, v, at, src, cid, ord)
  ), inserted AS (
    INSERT INTO visits (id, workspace_id, profile_id, viewer_id, viewed_at, source, client_id)
    SELECT id, $1, p, v, at, src, cid FROM input
  ), updated AS (
    UPDATE visitor_summary s SET view_count = u.n, first_viewed_at = u.f, last_viewed_at = u.l, last_source = u.src
    FROM unnest($9::text[], $10::text[], $11::int8[], $12::int8[], $13::int8[], $14::text[]) AS u(p, v, n, f, l, src)
    WHERE s.workspace_id = $1 AND s.profile_id = u.p AND s.viewer_id = u.v
  ), unused AS (
    DELETE FROM visitor_summary s USING unnest($15::text[], $16::text[]) AS d(p, v)
    WHERE s.workspace_id = $1 AND s.profile_id = d.p AND s.viewer_id = d.v
  ), days AS (
    INSERT INTO viewer_day_counts (workspace_id, profile_id, day, viewers)
    SELECT $1, p, d, n FROM unnest($17::text[], $18::int4[], $19::int4[]) AS t(p, d, n) ORDER BY p COLLATE "C", d
    ON CONFLICT (workspace_id, profile_id, day) DO UPDATE SET viewers = viewer_day_counts.viewers + excluded.viewers
  ), head AS (
    INSERT INTO visit_log_heads AS h (workspace_id, position, recorded_at)
    SELECT $1, count(*), $20 FROM input HAVING count(*) > 0
    ON CONFLICT (workspace_id) DO UPDATE SET position = h.position + excluded.position, recorded_at = excluded.recorded_at
    RETURNING position
  ), logged AS (
    INSERT INTO visit_log (workspace_id, position, visit_id, profile_id, viewer_id, viewed_at, source, client_id, recorded_at)
    SELECT $1, (SELECT position FROM head) - (SELECT count(*) FROM input) + ord, id, p, v, at, src, cid, $20 FROM input
  )
  SELECT (SELECT count(*) FROM claimed) AS claimed, (SELECT array_agg(id ORDER BY ord) FROM input) AS ids`;

/**
 * The viewer's member row as an array in MEMBER_COLUMNS order (null once erased), read with the
 * page: the list use case needs every viewer's card, and on this host a round trip to the
 * server costs 140 to 200 µs of waiting and, in the Node process, most of a list request's CPU
 * (the socket write that wakes the server).
 */
const VIEWER_CARD = `(SELECT json_build_array(${memberColumnsOf('m')}) FROM members m WHERE m.workspace_id = $1 AND m.id = p.viewer_id)`;

/**
 * Visitor list from the summary (open-ended range), with exact in-range counts for viewers seen
 * before `since`. The page is one range of the covering index `visitor_summary_page`. The total
 * sums the last-view histogram over whole days ($6 is the day of `since`), an index-only range
 * of its covering primary key (migration 6), and counts the boundary day on the page index.
 * The viewers left out are looked up one by one from the array, each on the primary key (the
 * LATERAL with its LIMIT keeps the planner from turning it into a join): written as
 * `viewer_id = ANY($7)`, or as a join, the generic plan PostgreSQL switches a prepared statement
 * to scanned every summary row of the owner (632,000 for the bench's celebrity: 95 ms with the
 * array empty, 174 ms with two ids) on every request.
 */
const SUMMARY_PAGE = `SELECT
  (SELECT coalesce(sum(viewers), 0) FROM viewer_day_counts WHERE workspace_id = $1 AND profile_id = $2 AND day > $6)
   + (SELECT count(*) FROM visitor_summary WHERE workspace_id = $1 AND profile_id = $2
      AND last_viewed_at >= $3 AND last_viewed_at < ($6::int8 + 1) * 86400000)
   - (SELECT count(*) FROM unnest($7::text[]) AS x(viewer_id), LATERAL (SELECT 1 FROM visitor_summary s
      WHERE s.workspace_id = $1 AND s.profile_id = $2 AND s.viewer_id = x.viewer_id AND s.last_viewed_at >= $3 LIMIT 1) AS found) AS total,
  (SELECT coalesce(json_agg(json_build_array(p.viewer_id,
      CASE WHEN p.first_viewed_at >= $3 THEN p.view_count
        ELSE (SELECT count(*) FROM visits v WHERE v.workspace_id = $1 AND v.profile_id = $2 AND v.viewer_id = p.viewer_id AND v.viewed_at >= $3) END,
      CASE WHEN p.first_viewed_at >= $3 THEN p.first_viewed_at
        ELSE coalesce((SELECT min(viewed_at) FROM visits v WHERE v.workspace_id = $1 AND v.profile_id = $2 AND v.viewer_id = p.viewer_id AND v.viewed_at >= $3), p.last_viewed_at) END,
      p.last_viewed_at, p.last_source, ${VIEWER_CARD}) ORDER BY p.last_viewed_at DESC, p.viewer_id), '[]')
   FROM (SELECT viewer_id, view_count, first_viewed_at, last_viewed_at, last_source FROM visitor_summary
         WHERE workspace_id = $1 AND profile_id = $2 AND last_viewed_at >= $3 AND viewer_id <> ALL($7::text[])
         ORDER BY last_viewed_at DESC, viewer_id LIMIT $4 OFFSET $5) p) AS rows`;

/**
 * The rows of the open-ended list after a cursor ($5 last view, $6 viewer id): the rows of
 * SUMMARY_PAGE, found by descending the same index to where the previous page ended instead of
 * counting an offset off it. `last_viewed_at <= $5` is the index range; the rest filters the
 * one millisecond the cursor is in.
 */
const SUMMARY_AFTER = `SELECT coalesce(json_agg(json_build_array(p.viewer_id,
      CASE WHEN p.first_viewed_at >= $3 THEN p.view_count
        ELSE (SELECT count(*) FROM visits v WHERE v.workspace_id = $1 AND v.profile_id = $2 AND v.viewer_id = p.viewer_id AND v.viewed_at >= $3) END,
      CASE WHEN p.first_viewed_at >= $3 THEN p.first_viewed_at
        ELSE coalesce((SELECT min(viewed_at) FROM visits v WHERE v.workspace_id = $1 AND v.profile_id = $2 AND v.viewer_id = p.viewer_id AND v.viewed_at >= $3), p.last_viewed_at) END,
      p.last_viewed_at, p.last_source, ${VIEWER_CARD}) ORDER BY p.last_viewed_at DESC, p.viewer_id), '[]') AS rows
   FROM (SELECT viewer_id, view_count, first_viewed_at, last_viewed_at, last_source FROM visitor_summary
         WHERE workspace_id = $1 AND profile_id = $2 AND last_viewed_at >= $3 AND viewer_id <> ALL($7::text[])
           AND last_viewed_at <= $5 AND (last_viewed_at < $5 OR viewer_id > $6)
         ORDER BY last_viewed_at DESC, viewer_id LIMIT $4) p`;

/**
 * Visitor list over a closed range, aggregated from the raw visits (partition-pruned on
 * viewed_at). Grouped from the (profile, viewer, time) index alone, the last view's source read
 * for the page's rows only: for the bench's celebrity (a million views a year) a year took 2.7 s
 * when every view's source went through the grouping, 1.65 s so (both sort a million rows).
 */
const RAW_PAGE = `SELECT
  (SELECT count(*) FROM (SELECT 1 FROM visits WHERE workspace_id = $1 AND profile_id = $2 AND viewed_at >= $3 AND viewed_at < $4
     AND viewer_id <> ALL($7::text[]) GROUP BY viewer_id) d) AS total,
  (SELECT coalesce(json_agg(json_build_array(p.viewer_id, p.n, p.f, p.l,
      (SELECT s.source FROM visits s WHERE s.workspace_id = $1 AND s.profile_id = $2 AND s.viewer_id = p.viewer_id AND s.viewed_at = p.l ORDER BY s.id DESC LIMIT 1),
      ${VIEWER_CARD}) ORDER BY p.l DESC, p.viewer_id), '[]')
   FROM (SELECT viewer_id, count(*) AS n, min(viewed_at) AS f, max(viewed_at) AS l
         FROM visits WHERE workspace_id = $1 AND profile_id = $2 AND viewed_at >= $3 AND viewed_at < $4 AND viewer_id <> ALL($7::text[])
         GROUP BY viewer_id ORDER BY l DESC, viewer_id LIMIT $5 OFFSET $6) p) AS rows`;

/**
 * The visits client ids name: `visit_client_ids` holds each id's time, which prunes the
 * partitioned `visits` to one partition and one time on its (workspace, time) index.
 */
const VISITS_OF_CLIENT_IDS = `SELECT c.client_id, v.profile_id, v.viewer_id, v.viewed_at
  FROM visit_client_ids c JOIN LATERAL (
    SELECT profile_id, viewer_id, viewed_at FROM visits
    WHERE workspace_id = c.workspace_id AND viewed_at = c.viewed_at AND client_id = c.client_id LIMIT 1
  ) v ON true
  WHERE c.workspace_id = $1 AND c.client_id = ANY($2::text[])`;

type PageRow = { total: number; rows: [string, number, number, number, VisitSource, MemberTuple | null][] };

type SummaryRow = { profile_id: string; viewer_id: string; view_count: number; first_viewed_at: number; last_viewed_at: number; last_source: VisitSource };

interface SummaryState {
  profileId: string;
  viewerId: string;
  /** Whether the pair had visits before this batch (false for a placeholder). */
  stored: boolean;
  lastBefore: number;
  count: number;
  first: number;
  last: number;
  lastSource: VisitSource;
  /** Times of the visits of this pair recorded by this batch, sorted. */
  batch: number[];
}

const pairKey = (profileId: string, viewerId: string) => JSON.stringify([profileId, viewerId]);

export class PgVisits implements VisitStore {
  constructor(
    private db: PgDatabase,
    private partitions: VisitPartitions,
  ) {}

  async eraseMember(workspaceId: string, memberId: string): Promise<void> {
    await this.db.transaction((c) => eraseVisitsOf(c, workspaceId, memberId));
  }

  /**
   * One transaction per call, whatever the number of visits. Idempotency first, then the dedup
   * window, then the write, exactly as the SQLite backend does, but decided under row locks on
   * the summaries so that several processes can record the same pairs at the same moment.
   */
  async record(workspaceId: string, visits: readonly AcceptedVisit[], windowMs: number): Promise<RecordOutcome[]> {
    if (visits.length === 0) return [];
    const times = visits.map((v) => v.viewedAt);
    await this.partitions.ensureFor(times);
    return this.db.transaction(
      (c) => this.apply(c, workspaceId, visits, windowMs),
      async (err) => {
        if (!isMissingPartition(err)) return false;
        this.partitions.forget();
        await this.partitions.ensureFor(times);
        return true;
      },
    );
  }

  private async apply(c: pg.PoolClient, ws: string, visits: readonly AcceptedVisit[], windowMs: number): Promise<RecordOutcome[]> {
    const pairs = new Map<string, [string, string]>();
    for (const v of visits) pairs.set(pairKey(v.profileId, v.viewerId), [v.profileId, v.viewerId]);
    const columnsOf = (list: [string, string][]) => [ws, list.map((p) => p[0]), list.map((p) => p[1])];

    // What the batch makes of each pair if it has no stored visit and replays nothing: the row
    // step 1 writes. Step 4 corrects the few rows this guessed wrong (see `updates`).
    const fresh = new Map<string, SummaryState>();
    for (const [key, [profileId, viewerId]] of pairs) fresh.set(key, placeholder(profileId, viewerId));
    decide(visits, fresh, new Set(), new Set(), windowMs);
    const firstRows = [...fresh.values()];
    const created = await c.query<{ profile_id: string; viewer_id: string }>({
      name: 'visits_create_missing',
      text: CREATE_MISSING,
      values: [ws, ...summaryColumns(firstRows)],
    });
    const state = new Map<string, SummaryState>();
    /** The rows step 1 inserted, as it wrote them. */
    const inserted = new Map<string, SummaryState>();
    for (const r of created.rows) {
      const key = pairKey(r.profile_id, r.viewer_id);
      state.set(key, placeholder(r.profile_id, r.viewer_id));
      inserted.set(key, fresh.get(key)!);
    }
    const existing = [...pairs].filter(([key]) => !state.has(key)).map(([, pair]) => pair);
    if (existing.length > 0) {
      const locked = await c.query<SummaryRow>({ name: 'visits_lock', text: LOCK_SUMMARIES, values: columnsOf(existing) });
      for (const r of locked.rows) {
        state.set(pairKey(r.profile_id, r.viewer_id), {
          profileId: r.profile_id,
          viewerId: r.viewer_id,
          stored: r.view_count > 0,
          lastBefore: r.last_viewed_at,
          count: r.view_count,
          first: r.first_viewed_at,
          last: r.last_viewed_at,
          lastSource: r.last_source,
          batch: [],
        });
      }
    }
    // A summary row removed between steps 1 and 2 (by an erase, say): start again, recreating it.
    if (state.size < pairs.size) throw new RetryTransaction('a summary row disappeared before it could be locked');

    // Read after the locks: whatever another process committed for these pairs is visible now.
    const clientIds = [...new Set(visits.flatMap((v) => (v.clientId === null ? [] : [v.clientId])))];
    const seen = new Set<string>();
    if (clientIds.length > 0) {
      const { rows } = await c.query<{ client_id: string }>({ name: 'visits_seen_ids', text: SEEN_CLIENT_IDS, values: [ws, clientIds] });
      for (const r of rows) seen.add(r.client_id);
    }

    // Stored visits can only dedup a visit closer than the window to the pair's latest stored
    // one (the summary's last view is the newest stored visit); ask the database about those
    // in one query. Everything else is decided from the summaries and this batch.
    const nearStored = new Set<number>();
    if (windowMs > 0) {
      const probe = visits.flatMap((v, i) => {
        const s = state.get(pairKey(v.profileId, v.viewerId))!;
        return s.stored && v.viewedAt - windowMs < s.lastBefore && !(v.clientId !== null && seen.has(v.clientId)) ? [i] : [];
      });
      if (probe.length > 0) {
        const { rows } = await c.query<{ i: number }>({
          name: 'visits_near_stored',
          text: NEAR_STORED,
          values: [
            ws,
            probe.map((i) => visits[i]!.profileId),
            probe.map((i) => visits[i]!.viewerId),
            probe.map((i) => visits[i]!.viewedAt),
            windowMs,
            probe,
          ],
        });
        for (const r of rows) nearStored.add(r.i);
      }
    }

    const { outcomes, toInsert } = decide(visits, state, seen, nearStored, windowMs);

    const all = [...state.entries()];
    const changed = all.filter(([, s]) => s.batch.length > 0).map(([, s]) => s);
    const deltas = new Map<string, number>();
    for (const s of changed) if (!s.stored || s.last !== s.lastBefore) addDayDelta(deltas, s.profileId, s.stored ? s.lastBefore : null, s.last);
    const days = dayDeltaColumns(deltas);
    // Step 1 wrote the final row of a pair's first visits; it differs only where the batch
    // replays a stored client id for that pair, or repeats a client id across pairs.
    const updates = all.filter(([key, s]) => s.batch.length > 0 && !sameSummary(s, inserted.get(key))).map(([, s]) => s);
    const unused = all.filter(([, s]) => s.count === 0).map(([, s]) => s);
    if (toInsert.length === 0 && unused.length === 0) return outcomes;
    const rows = toInsert.map((i) => visits[i]!);
    const withIds = rows.filter((v) => v.clientId !== null);
    const { rows: written } = await c.query<{ claimed: number; ids: (string | number)[] | null }>({
      name: 'visits_write',
      text: WRITE,
      values: [
        ws,
        rows.map((v) => v.profileId),
        rows.map((v) => v.viewerId),
        rows.map((v) => v.viewedAt),
        rows.map((v) => v.source),
        rows.map((v) => v.clientId),
        withIds.map((v) => v.clientId),
        withIds.map((v) => v.viewedAt),
        ...summaryColumns(updates),
        unused.map((s) => s.profileId),
        unused.map((s) => s.viewerId),
        days.profiles,
        days.days,
        days.changes,
        Date.now(),
      ],
    });
    const result = written[0]!;
    if (Number(result.claimed) < withIds.length) throw new RetryTransaction('a client id was claimed by a concurrent transaction');
    const ids = result.ids ?? [];
    toInsert.forEach((i, k) => {
      if (visits[i]!.clientId === null) outcomes[i] = { status: 'recorded', visitId: String(ids[k]) };
    });
    return outcomes;
  }

  async byClientIds(workspaceId: string, clientIds: readonly string[]): Promise<Map<string, StoredVisit>> {
    const out = new Map<string, StoredVisit>();
    if (clientIds.length === 0) return out;
    const rows = await this.db.query<{ client_id: string; profile_id: string; viewer_id: string; viewed_at: string | number }>({
      name: 'visits_of_client_ids',
      text: VISITS_OF_CLIENT_IDS,
      values: [workspaceId, [...new Set(clientIds)]],
    });
    for (const r of rows) out.set(r.client_id, { profileId: r.profile_id, viewerId: r.viewer_id, viewedAt: Number(r.viewed_at) });
    return out;
  }

  async viewedBy(workspaceId: string, viewerId: string, afterProfileId: string, limit: number): Promise<ViewedProfile[]> {
    const rows = await this.db.query<{ profile_id: string; view_count: number; first_viewed_at: string; last_viewed_at: string }>({
      name: 'visits_viewed_by',
      text: `SELECT profile_id, view_count, first_viewed_at, last_viewed_at FROM visitor_summary
        WHERE workspace_id = $1 AND viewer_id = $2 AND profile_id > $3 ORDER BY profile_id LIMIT $4`,
      values: [workspaceId, viewerId, afterProfileId, limit],
    });
    return rows.map((r) => ({ profileId: r.profile_id, viewCount: Number(r.view_count), firstViewedAt: Number(r.first_viewed_at), lastViewedAt: Number(r.last_viewed_at) }));
  }

  async viewersAfter(q: ViewerCursorQuery): Promise<Omit<ViewerRows, 'total'>> {
    // From the top: every row is at or before the end of time, and after the empty id.
    const after = q.after ?? { lastViewedAt: Number.MAX_SAFE_INTEGER, viewerId: '' };
    const [row] = await this.db.query<Pick<PageRow, 'rows'>>({
      name: 'visits_summary_after',
      text: SUMMARY_AFTER,
      values: [q.workspaceId, q.profileId, q.since, q.limit, after.lastViewedAt, after.viewerId, q.excludeViewerIds ?? []],
    });
    return pageOf(row!.rows);
  }

  async viewsOfPair(workspaceId: string, profileId: string, viewerId: string, since: number): Promise<PairView[]> {
    const rows = await this.db.query<{ viewed_at: string; source: VisitSource }>({
      name: 'visits_of_pair',
      text: 'SELECT viewed_at, source FROM visits WHERE workspace_id = $1 AND profile_id = $2 AND viewer_id = $3 AND viewed_at >= $4 ORDER BY viewed_at, id',
      values: [workspaceId, profileId, viewerId, since],
    });
    return rows.map((r) => ({ viewedAt: Number(r.viewed_at), source: r.source }));
  }

  /**
   * One statement, one snapshot: the total, the page and its counts agree with each other.
   * `$7` lists the viewers blocks leave out (empty: nobody), of the rows and of the total.
   */
  async listViewers(q: ViewerPageQuery): Promise<ViewerRows> {
    const exclude = q.excludeViewerIds ?? [];
    const [row] =
      q.until === null
        ? await this.db.query<PageRow>({
            name: 'visits_summary_page',
            text: SUMMARY_PAGE,
            values: [q.workspaceId, q.profileId, q.since, q.limit, q.offset, dayOf(q.since), exclude],
          })
        : await this.db.query<PageRow>({
            name: 'visits_raw_page',
            text: RAW_PAGE,
            values: [q.workspaceId, q.profileId, q.since, q.until, q.limit, q.offset, exclude],
          });
    return { total: row!.total, ...pageOf(row!.rows) };
  }
}

/** A page's rows as the statements aggregate them, with the viewers' cards they carry. */
function pageOf(tuples: PageRow['rows']): Omit<ViewerRows, 'total'> {
  const viewers = new Map<string, Member>();
  const rows = tuples.map(([viewerId, viewCount, firstViewedAt, lastViewedAt, lastSource, card]) => {
    if (card) viewers.set(viewerId, memberFromTuple(card));
    return { viewerId, viewCount: Number(viewCount), firstViewedAt: Number(firstViewedAt), lastViewedAt: Number(lastViewedAt), lastSource };
  });
  return { rows, viewers };
}

/** A pair with no stored visit: its summary before the batch counts anything. */
function placeholder(profileId: string, viewerId: string): SummaryState {
  return { profileId, viewerId, stored: false, lastBefore: 0, count: 0, first: 0, last: 0, lastSource: 'other', batch: [] };
}

/** Summary rows as the parallel arrays the statements unnest: profile, viewer, count, first, last, source. */
function summaryColumns(rows: readonly SummaryState[]) {
  return [
    rows.map((s) => s.profileId),
    rows.map((s) => s.viewerId),
    rows.map((s) => s.count),
    rows.map((s) => s.first),
    rows.map((s) => s.last),
    rows.map((s) => s.lastSource),
  ];
}

function sameSummary(a: SummaryState, b: SummaryState | undefined): boolean {
  return b !== undefined && a.count === b.count && a.first === b.first && a.last === b.last && a.lastSource === b.lastSource;
}

/**
 * Decides each visit in input order (replayed, deduplicated or recorded) and applies the
 * recorded ones to their pair's summary in `state`. `nearStored` holds the visits a stored
 * visit of their pair deduplicates.
 */
function decide(
  visits: readonly AcceptedVisit[],
  state: Map<string, SummaryState>,
  seen: ReadonlySet<string>,
  nearStored: ReadonlySet<number>,
  windowMs: number,
): { outcomes: RecordOutcome[]; toInsert: number[] } {
  const outcomes: RecordOutcome[] = [];
  const toInsert: number[] = [];
  const claimed = new Set<string>();
  visits.forEach((v, i) => {
    const s = state.get(pairKey(v.profileId, v.viewerId))!;
    const decision = decideVisit(
      v,
      {
        replayed: () => seen.has(v.clientId!) || claimed.has(v.clientId!),
        lastView: () => (s.count > 0 ? s.last : null),
        // Stored views near this one were asked for the whole window at once (NEAR_STORED).
        viewedBetween: () => nearStored.has(i) || hasWithin(s.batch, v.viewedAt, windowMs),
      },
      windowMs,
    );
    if (decision === 'replayed') {
      outcomes.push({ status: 'replayed', visitId: v.clientId! });
      return;
    }
    if (decision === 'deduplicated') {
      outcomes.push({ status: 'deduplicated', visitId: v.clientId ?? '' });
      return;
    }
    Object.assign(s, mergeView(s, v.viewedAt, v.source));
    insertSorted(s.batch, v.viewedAt);
    if (v.clientId !== null) claimed.add(v.clientId);
    toInsert.push(i);
    outcomes.push({ status: 'recorded', visitId: v.clientId ?? '' });
  });
  return { outcomes, toInsert };
}

/** Whether the sorted `times` hold one strictly closer than `windowMs` to `t`. */
function hasWithin(times: number[], t: number, windowMs: number): boolean {
  const i = firstAbove(times, t - windowMs);
  return i < times.length && times[i]! < t + windowMs;
}

function insertSorted(times: number[], t: number): void {
  times.splice(firstAbove(times, t), 0, t);
}

/** First index whose value is > t (times.length when none). */
function firstAbove(times: number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
