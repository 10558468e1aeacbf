/**
 * SQLite records visits into an inbox and folds them into the summary later. Whatever is still
 * pending, every answer must be the one a store without an inbox gives: two stores receive the
 * same operations, a reference (PostgreSQL, which shares none of this code; SQLite folding each
 * recording at once when PostgreSQL is not available) and a SQLite store that folds only when
 * told to, so it reads with many visits pending, then with some folded. Then the fold itself:
 * the same tables however its batches fall, and nothing lost or counted twice across a restart.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, VISIT_SOURCES, type AcceptedVisit, type Store, type ViewerPageQuery, type ViewerRows, type ViewerSummary } from '../src/core/index.js';
import { FOLD_SQL, FOLD_TAKE_SQL, foldPending, foldTaken, takeBatch } from '../src/storage/sqlite/fold.js';
import { startFolder } from '../src/storage/sqlite/folder.js';
import { SWAP_ROWS } from '../src/storage/sqlite/inbox-db.js';
import { workerScript } from '../src/storage/sqlite/worker-script.js';
import { WriteGate } from '../src/storage/sqlite/write-gate.js';
import { Worker } from 'node:worker_threads';
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { mergePage } from '../src/storage/sqlite/visitor-list.js';
import type { FoldPolicy } from '../src/storage/sqlite/visits.js';
import { until } from './support/assertions.js';
import { dropPostgresDatabase, openFreshStore, postgresAvailable, postgresBackend } from './support/backends.js';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const WS = 'inbox';
const W = 30 * 60_000;
// Enough viewers that some are all folded while others are pending; ids that sort differently
// as UTF-16 and as UTF-8 bytes ('\uff21' vs '\u{1f600}') and by case.
const MEMBERS = ['owner', 'star', ...Array.from({ length: 36 }, (_, i) => `v${i}`), 'É', 'Z', 'z', '\uff21', '\u{1f600}'];

type SqliteStore = ReturnType<typeof openSqliteStore>;

function open(path: string, fold: FoldPolicy, readCacheBytes = 8 * 1024 * 1024, maxPending?: number, byViewerFrom?: number): SqliteStore {
  return openSqliteStore({ path, synchronous: 'normal', migrate: true, readCacheBytes, fold, maxPending, byViewerFrom });
}

function tempPath(name: string) {
  return join(mkdtempSync(join(tmpdir(), 'pv-inbox-')), name);
}

/** A small deterministic generator, so a failure replays. */
function lcg(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
}

/**
 * Visits to 'owner' and 'star' by the other members, out of order on purpose, and several at the
 * same instant now and then; a client id on one in `clientIdOneIn` when given.
 */
function randomVisits(o: { seed: number; count: number; starOneIn: number; days: number; clientIdOneIn?: number }): AcceptedVisit[] {
  const rand = lcg(o.seed);
  return Array.from({ length: o.count }, (_, i) => {
    const profileId = rand(o.starOneIn) === 0 ? 'star' : 'owner';
    let viewerId = MEMBERS[2 + rand(MEMBERS.length - 2)]!;
    if (viewerId === profileId) viewerId = 'a';
    const viewedAt = T0 - rand(o.days) * DAY_MS - (rand(3) === 0 ? 0 : rand(DAY_MS));
    const clientId = o.clientIdOneIn !== undefined && rand(o.clientIdOneIn) === 0 ? `c${i}` : null;
    return { clientId, profileId, viewerId, viewedAt, source: VISIT_SOURCES[rand(VISIT_SOURCES.length)]! };
  });
}

/** The total and rows of a page: the reference (PostgreSQL) also gives the viewers' cards, which the inbox does not change. */
async function rowsOf(page: Promise<ViewerRows>): Promise<Pick<ViewerRows, 'total' | 'rows'>> {
  const { total, rows } = await page;
  return { total, rows };
}

const referenceName = postgresAvailable() ? 'PostgreSQL' : 'SQLite folding at once (PostgreSQL unavailable)';

describe(`SQLite visit inbox: pending visits read as the reference store (${referenceName}) reads them`, () => {
  let folded: Store;
  let pending: SqliteStore;
  let referenceUrl: string | null = null;

  beforeEach(async () => {
    if (postgresAvailable()) ({ store: folded, url: referenceUrl } = await openFreshStore(postgresBackend));
    else folded = open(tempPath('folded.db'), 'inline');
    pending = open(tempPath('pending.db'), 'manual');
    for (const s of [folded, pending]) {
      await s.workspaces.ensure(WS, WS);
      await s.members.upsert(WS, MEMBERS.map((id) => ({ id, name: id })), 'replace', T0);
    }
  });
  afterEach(async () => {
    await folded.close();
    await pending.close();
    if (referenceUrl) await dropPostgresDatabase(referenceUrl);
    referenceUrl = null;
  });

  const pendingCount = (s: SqliteStore) => s.visits.pending();

  async function record(visits: AcceptedVisit[], windowMs = W) {
    const expected = await folded.visits.record(WS, visits, windowMs);
    const got = await pending.visits.record(WS, visits, windowMs);
    // Same outcomes; ids of recorded visits are each store's own sequence numbers.
    expect(got.map((o) => o.status)).toEqual(expected.map((o) => o.status));
    return got;
  }

  async function sameList(q: Omit<ViewerPageQuery, 'workspaceId'>) {
    const query = { workspaceId: WS, ...q };
    expect(await rowsOf(pending.visits.listViewers(query)), JSON.stringify(q)).toEqual(await rowsOf(folded.visits.listViewers(query)));
  }

  it('lists, totals, counts within a window and closed ranges match with visits pending, then partly and fully folded', async () => {
    const visits = randomVisits({ seed: 11, count: 400, starOneIn: 4, days: 60, clientIdOneIn: 5 });
    // Recorded in a few groups, so dedup also sees pending visits of earlier groups.
    for (let i = 0; i < visits.length; i += 57) await record(visits.slice(i, i + 57), i % 2 ? W : 0);
    expect(pendingCount(pending)).toBeGreaterThan(100);

    const check = async () => {
      for (const profileId of ['owner', 'star', 'nobody']) {
        for (const since of [0, T0 - 40 * DAY_MS, T0 - 20 * DAY_MS - 7, T0 - DAY_MS]) {
          for (const [offset, limit] of [[0, 100], [0, 3], [2, 5], [7, 1], [40, 10]] as const) {
            await sameList({ profileId, since, until: null, offset, limit });
          }
          await sameList({ profileId, since, until: T0 - 10 * DAY_MS, offset: 0, limit: 50 });
          await sameList({ profileId, since, until: T0 + DAY_MS, offset: 3, limit: 4 });
        }
      }
    };
    await check();
    // Part of the inbox folded: some viewers folded, some pending, some both.
    expect(foldPending(pending.raw, 150)).toBe(150);
    await check();
    while (foldPending(pending.raw, 64) > 0);
    expect(pendingCount(pending)).toBe(0);
    await check();
  });

  it('closed ranges read in viewer order (as for a profile with many views in range) match too, pending, partly and fully folded', async () => {
    // From 1 view every non-empty range is read in viewer order; from 20 some ranges are, some not.
    const stores = [1, 20].map((from) => open(tempPath(`by-viewer-${from}.db`), 'manual', 8 * 1024 * 1024, undefined, from));
    try {
      for (const s of stores) {
        await s.workspaces.ensure(WS, WS);
        await s.members.upsert(WS, MEMBERS.map((id) => ({ id, name: id })), 'replace', T0);
      }
      const visits = randomVisits({ seed: 23, count: 300, starOneIn: 3, days: 40 });
      for (let i = 0; i < visits.length; i += 61) {
        const batch = visits.slice(i, i + 61);
        const expected = (await folded.visits.record(WS, batch, 0)).map((o) => o.status);
        for (const s of stores) expect((await s.visits.record(WS, batch, 0)).map((o) => o.status)).toEqual(expected);
      }
      const check = async () => {
        for (const s of stores) {
          for (const profileId of ['owner', 'star', 'nobody']) {
            for (const [since, until] of [[0, T0 + DAY_MS], [T0 - 30 * DAY_MS, T0 - 10 * DAY_MS], [T0 - 3 * DAY_MS - 5, T0 - DAY_MS + 7], [T0 - 90 * DAY_MS, T0 - 60 * DAY_MS]] as const) {
              // The last offset is far past the end: the window of folded rows (mergePage) is empty.
              for (const [offset, limit] of [[0, 100], [0, 3], [2, 5], [30, 10], [10_000, 5]] as const) {
                const query = { workspaceId: WS, profileId, since, until, offset, limit };
                expect(await rowsOf(s.visits.listViewers(query)), JSON.stringify(query)).toEqual(await rowsOf(folded.visits.listViewers(query)));
              }
            }
          }
        }
      };
      await check();
      for (const s of stores) expect(foldPending(s.raw, 120)).toBe(120);
      await check();
      for (const s of stores) while (foldPending(s.raw, 64) > 0);
      await check();
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('dedup and retries see pending visits: a repeat within the window and a retried id count once', async () => {
    const v = (viewerId: string, viewedAt: number, clientId: string | null = null): AcceptedVisit => ({ clientId, profileId: 'owner', viewerId, viewedAt, source: 'search' });
    expect((await record([v('a', T0, 'id-1')])).map((o) => o.status)).toEqual(['recorded']);
    expect((await record([v('a', T0 + W - 1), v('a', T0 - W + 1), v('b', T0, 'id-1'), v('a', T0 + W)])).map((o) => o.status)).toEqual([
      'deduplicated',
      'deduplicated',
      'replayed',
      'recorded',
    ]);
    expect(pendingCount(pending)).toBe(2);
    await sameList({ profileId: 'owner', since: 0, until: null, offset: 0, limit: 10 });
    foldPending(pending.raw, 1);
    // One of the two folded, the other pending: both still decide.
    expect((await record([v('a', T0 + 1, 'id-1'), v('a', T0 + W + 2), v('a', T0 - W)])).map((o) => o.status)).toEqual(['replayed', 'deduplicated', 'recorded']);
    await sameList({ profileId: 'owner', since: 0, until: null, offset: 0, limit: 10 });
  });

  it('a large batch dedups against folded views, pending views and its own earlier visits, as a small one does', async () => {
    const v = (profileId: string, viewerId: string, viewedAt: number): AcceptedVisit => ({ clientId: null, profileId, viewerId, viewedAt, source: 'search' });
    const viewers = Array.from({ length: 30 }, (_, i) => `v${i}`);
    await record(viewers.map((id) => v('owner', id, T0)));
    while (foldPending(pending.raw, 7) > 0);
    // Folded rows leave the inbox, as the table switch does once the other table has filled
    // (tested below) without recording 20,000 visits: from here, only the summary knows them.
    for (const n of [0, 1]) pending.raw.prepare(`DELETE FROM inbox.visit_inbox_${n} WHERE seq <= (SELECT folded_through FROM main.fold_state)`).run();
    await record(viewers.slice(0, 20).map((id) => v('star', id, T0)));
    expect(pendingCount(pending)).toBe(20);

    const batch = [
      v('owner', 'v0', T0 + W - 1), // folded view within the window
      v('owner', 'v1', T0 + W), // folded view just outside it
      v('owner', 'v2', T0 - W + 1), // older than the folded last view, still within the window
      v('owner', 'v3', T0 - W), // older, outside
      v('star', 'v0', T0 + 5), // pending view within the window
      v('star', 'v25', T0), // a new pair...
      v('star', 'v25', T0 + 1), // ...seen again in the same batch
      ...viewers.slice(4, 16).map((id) => v('owner', id, T0 + 60_000)),
    ];
    expect(batch.length).toBeGreaterThan(16);
    expect((await record(batch)).map((o) => o.status)).toEqual([
      'deduplicated',
      'recorded',
      'deduplicated',
      'recorded',
      'deduplicated',
      'recorded',
      'deduplicated',
      ...Array(12).fill('deduplicated'),
    ]);
    // A small group looks each pair up on its own.
    expect((await record([v('owner', 'v20', T0 + 10), v('owner', 'v21', T0 + W)])).map((o) => o.status)).toEqual(['deduplicated', 'recorded']);
    for (const profileId of ['owner', 'star']) await sameList({ profileId, since: 0, until: null, offset: 0, limit: 50 });
  });

  it('a few pending viewers among many folded ones: every page and offset matches', async () => {
    const rand = lcg(23);
    const visit = (viewerId: string, viewedAt: number): AcceptedVisit => ({ clientId: null, profileId: 'owner', viewerId, viewedAt, source: 'feed' });
    const viewers = MEMBERS.slice(2);
    await record(viewers.map((id, i) => visit(id, T0 - (i + 1) * DAY_MS)));
    while (foldPending(pending.raw, 100) > 0);
    // Now a handful move: one to the top, one a little up, one old view of a viewer far down,
    // and one brand-new viewer... of the star's list, nothing.
    await record([visit(viewers[30]!, T0), visit(viewers[20]!, T0 - 5 * DAY_MS - 1), visit(viewers[10]!, T0 - 39 * DAY_MS), visit(viewers[5]!, T0 - 2 * DAY_MS)]);
    expect(pendingCount(pending)).toBe(4);
    for (let offset = 0; offset < viewers.length + 2; offset++) {
      for (const limit of [1, 2, 3, 7]) await sameList({ profileId: 'owner', since: T0 - 30 * DAY_MS - rand(3), until: null, offset, limit });
    }
    await sameList({ profileId: 'owner', since: 0, until: null, offset: 0, limit: 100 });
  });

  it('ties on the last view are ordered by viewer id as SQLite compares text, pending or folded', async () => {
    const ids = ['Z', 'z', 'É', '\uff21', '\u{1f600}', 'v1'];
    await record(ids.slice(0, 3).map((viewerId) => ({ clientId: null, profileId: 'owner', viewerId, viewedAt: T0, source: 'feed' })));
    foldPending(pending.raw, 10);
    await record(ids.slice(3).map((viewerId) => ({ clientId: null, profileId: 'owner', viewerId, viewedAt: T0, source: 'feed' })));
    const page = await pending.visits.listViewers({ workspaceId: WS, profileId: 'owner', since: 0, until: null, offset: 0, limit: 10 });
    expect(page.rows.map((r) => r.viewerId)).toEqual(['Z', 'v1', 'z', 'É', '\uff21', '\u{1f600}']);
    await sameList({ profileId: 'owner', since: 0, until: null, offset: 0, limit: 10 });
    await sameList({ profileId: 'owner', since: 0, until: null, offset: 2, limit: 3 });
  });

  it('views at the same instant: the later-recorded one gives the last source, pending or folded', async () => {
    const v = (viewerId: string, source: AcceptedVisit['source'], viewedAt = T0): AcceptedVisit => ({ clientId: null, profileId: 'owner', viewerId, viewedAt, source });
    const list = () => sameList({ profileId: 'owner', since: 0, until: null, offset: 0, limit: 10 });
    await record([v('v1', 'search'), v('v1', 'feed'), v('v2', 'group')], 0);
    await list();
    foldPending(pending.raw, 3);
    await list();
    // A pending view as late as the folded last view wins; an older one does not.
    await record([v('v1', 'direct'), v('v2', 'external', T0 - 1)], 0);
    await list();
    await sameList({ profileId: 'owner', since: 0, until: T0 + 1, offset: 0, limit: 10 });
    const rows = (await pending.visits.listViewers({ workspaceId: WS, profileId: 'owner', since: 0, until: null, offset: 0, limit: 10 })).rows;
    expect(rows.map((r) => [r.viewerId, r.viewCount, r.lastSource])).toEqual([
      ['v1', 3, 'direct'],
      ['v2', 2, 'group'],
    ]);
    foldPending(pending.raw, 10);
    await list();
    expect(pending.raw.prepare("SELECT viewer_id, view_count, last_source FROM visitor_summary WHERE profile_id = 'owner' ORDER BY viewer_id").raw().all()).toEqual([
      ['v1', 3, 'direct'],
      ['v2', 2, 'group'],
    ]);
  });

  it('random recording, folding, erasing and reading at moving windows always agree', async () => {
    const rand = lcg(5);
    let now = T0;
    // Client ids are not presented again after an erase: whether the id of an erased visit
    // still counts as seen is where the backends differ (PostgreSQL keeps ids apart from visits).
    let erasures = 0;
    for (let step = 0; step < 300; step++) {
      now += rand(5) * 3 * 60 * 60_000;
      const op = rand(12);
      if (op < 6) {
        const batch: AcceptedVisit[] = [];
        for (let i = 0, n = 1 + rand(6); i < n; i++) {
          const profileId = MEMBERS[rand(3)]!;
          let viewerId = MEMBERS[rand(MEMBERS.length)]!;
          if (viewerId === profileId) viewerId = 'h';
          batch.push({ clientId: rand(6) === 0 ? `r${erasures}-${rand(40)}` : null, profileId, viewerId, viewedAt: now - rand(20) * DAY_MS, source: 'feed' });
        }
        await record(batch);
      } else if (op < 8) {
        foldPending(pending.raw, 1 + rand(30));
      } else if (op === 8 && rand(6) === 0) {
        const victim = MEMBERS[2 + rand(MEMBERS.length - 2)]!;
        erasures++;
        for (const s of [folded, pending]) {
          expect(await s.members.erase(WS, victim, now)).toBe(true);
          await s.members.upsert(WS, [{ id: victim, name: victim }], 'replace', now);
        }
      } else {
        const since = now - rand(30) * DAY_MS;
        await sameList({ profileId: MEMBERS[rand(3)]!, since, until: null, offset: rand(4), limit: 1 + rand(6) });
        await sameList({ profileId: MEMBERS[rand(3)]!, since, until: since + rand(10) * DAY_MS + 1, offset: rand(3), limit: 1 + rand(6) });
      }
    }
    expect(pendingCount(pending)).toBeGreaterThan(0);
  });
});

describe('SQLite fold', () => {
  let path: string;
  beforeEach(() => {
    path = tempPath('fold.db');
  });

  /** Every table the fold writes, as plain rows in key order. */
  function tables(s: SqliteStore) {
    const all = (sql: string) => s.raw.prepare(sql).all();
    return {
      visits: all('SELECT workspace_id, profile_id, viewer_id, viewed_at, source, client_id FROM visits ORDER BY workspace_id, profile_id, viewer_id, viewed_at, id'),
      summary: all('SELECT * FROM visitor_summary ORDER BY workspace_id, profile_id, viewer_id'),
      days: all('SELECT * FROM viewer_day_counts WHERE viewers <> 0 ORDER BY workspace_id, profile_id, day'),
      pending: all('SELECT * FROM visit_inbox WHERE seq > (SELECT folded_through FROM fold_state)'),
    };
  }

  it('leaves the same tables as folding every recording at once, however the batches fall', async () => {
    const rand = lcg(3);
    const visits: AcceptedVisit[] = Array.from({ length: 300 }, (_, i) => ({
      clientId: i % 7 === 0 ? `k${i}` : null,
      profileId: ['p', 'q'][rand(2)]!,
      viewerId: `v${rand(25)}`,
      viewedAt: T0 - rand(10) * DAY_MS - rand(4) * 1000,
      source: VISIT_SOURCES[rand(VISIT_SOURCES.length)]!,
    }));
    const reference = open(tempPath('ref.db'), 'inline', 0);
    const lazy = open(path, 'manual', 0);
    try {
      for (let i = 0; i < visits.length; i += 10) {
        const outcomes = await reference.visits.record(WS, visits.slice(i, i + 10), 0);
        expect((await lazy.visits.record(WS, visits.slice(i, i + 10), 0)).map((o) => o.status)).toEqual(outcomes.map((o) => o.status));
      }
      let batches = 0;
      while (foldPending(lazy.raw, 1 + rand(40)) > 0) batches++;
      expect(batches).toBeGreaterThan(5);
      const [a, b] = [tables(reference), tables(lazy)];
      expect(a.pending).toEqual([]);
      expect(b).toEqual(a);
    } finally {
      await reference.close();
      await lazy.close();
    }
  });

  it('visits copied out of the inbox by one folder and folded meanwhile by another are folded once', async () => {
    const reference = open(tempPath('ref.db'), 'inline', 0);
    const first = open(path, 'manual', 0);
    const second = open(path, 'manual', 0);
    try {
      const visits = randomVisits({ seed: 11, count: 120, starOneIn: 3, days: 20 });
      await reference.visits.record(WS, visits, W);
      await first.visits.record(WS, visits, W);
      // The first folder copies the oldest 50, as foldPending does before its write transaction...
      foldPending(first.raw, 0); // prepares its temp tables, takes nothing
      for (const sql of FOLD_TAKE_SQL) first.raw.prepare(sql).run(...(sql.includes('@limit') ? [{ limit: 50 }] : []));
      // ...the second folds the oldest 80 before it, then the first folds what is left of its copy.
      expect(foldPending(second.raw, 80)).toBe(80);
      first.raw.transaction(() => FOLD_SQL.forEach((sql) => first.raw.prepare(sql).run()))();
      expect(first.raw.prepare('SELECT folded_through FROM fold_state').pluck().get()).toBe(80);
      while (foldPending(first.raw, 30) > 0);
      expect(tables(first)).toEqual(tables(reference));
    } finally {
      await reference.close();
      await first.close();
      await second.close();
    }
  });

  it('a batch taken before an erase and folded after it brings none of the erased member back', async () => {
    const reference = open(tempPath('ref.db'), 'manual', 0);
    const racing = open(path, 'manual', 0);
    try {
      const visits = randomVisits({ seed: 17, count: 80, starOneIn: 3, days: 10 });
      const victim = visits[5]!.viewerId;
      for (const s of [reference, racing]) {
        await s.workspaces.ensure(WS, WS);
        await s.members.upsert(WS, MEMBERS.map((id) => ({ id, name: id })), 'replace', T0);
        await s.visits.record(WS, visits, W);
      }
      // The reference erases with nothing taken; the racing store's fold copied every visit first.
      expect(await reference.members.erase(WS, victim, T0)).toBe(true);
      expect(takeBatch(racing.raw, 1_000)).toBeGreaterThan(0);
      expect(await racing.members.erase(WS, victim, T0)).toBe(true);
      // The fold holds the main write lock, so no erase commits between its check and its commit:
      // a batch that lost entries is rolled back whole.
      expect(foldTaken(racing.raw)).toBe(false);
      expect(tables(racing).summary).toEqual([]);
      for (const s of [reference, racing]) while (foldPending(s.raw, 1_000) > 0);
      const folded = tables(racing);
      expect(folded.summary.length).toBeGreaterThan(0);
      expect(JSON.stringify(folded)).not.toContain(`"${victim}"`);
      expect(folded).toEqual(tables(reference));
    } finally {
      await reference.close();
      await racing.close();
    }
  });

  // SQLite keeps a statement journal (a copy of every page a statement changes, in memory) for a
  // statement that may fail halfway, and a call of min() or max() with two arguments is one that
  // may: with them, the summary update of a 1,000-visit batch copied about 5,000 pages.
  it('no statement of the fold calls min() or max() of two values (CASE picks the larger or smaller instead)', () => {
    const twoArgumentCalls = FOLD_SQL.flatMap((sql) => [...sql.matchAll(/\b(min|max)\s*\(([^()]|\([^()]*\))*,/gi)].map((m) => m[0]));
    expect(twoArgumentCalls).toEqual([]);
  });

  it('a folded visit keeps the id it was acknowledged with, and ids are never reused', async () => {
    const s = open(path, 'manual', 0);
    try {
      const [first] = await s.visits.record(WS, [{ clientId: null, profileId: 'p', viewerId: 'v', viewedAt: T0, source: 'feed' }], W);
      expect(foldPending(s.raw, 10)).toBe(1);
      const [second] = await s.visits.record(WS, [{ clientId: null, profileId: 'p', viewerId: 'w', viewedAt: T0, source: 'feed' }], W);
      expect(s.raw.prepare("SELECT id FROM visits WHERE viewer_id = 'v'").pluck().get()).toBe(Number(first!.visitId));
      expect(Number(second!.visitId)).toBeGreaterThan(Number(first!.visitId));
    } finally {
      await s.close();
    }
  });

  it('visits loaded into the main file directly (a bulk load) are not counted as pending, and new ids start above them', async () => {
    const s = open(path, 'manual', 0);
    s.raw.prepare("INSERT INTO visits (id, workspace_id, profile_id, viewer_id, viewed_at, source) VALUES (500, 'w', 'p', 'v', 1, 'feed')").run();
    await s.close();
    const again = open(path, 'manual', 0);
    try {
      expect(again.visits.pending()).toBe(0);
      const [o] = await again.visits.record(WS, [{ clientId: null, profileId: 'p', viewerId: 'v', viewedAt: T0, source: 'feed' }], W);
      expect(Number(o!.visitId)).toBe(501);
      expect(again.visits.pending()).toBe(1);
    } finally {
      await again.close();
    }
  });

  it('folded visits leave the inbox a whole table at a time, once the other table has filled; reads never change', async () => {
    const s = open(path, 'manual', 0);
    const count = (n: 0 | 1) => s.raw.prepare(`SELECT count(*) FROM visit_inbox_${n}`).pluck().get() as number;
    const state = () => s.raw.prepare('SELECT active, active_from AS activeFrom FROM inbox_state').get();
    const record = async (from: number, n: number) => {
      for (let i = from; i < from + n; i += 2_000) {
        const batch = Array.from({ length: Math.min(2_000, from + n - i) }, (_, k): AcceptedVisit => ({
          clientId: null, profileId: `p${(i + k) % 10}`, viewerId: `v${i + k}`, viewedAt: T0 - (i + k) * 1000, source: 'feed',
        }));
        await s.visits.record(WS, batch, W);
      }
    };
    const lists = () => Promise.all(['p0', 'p7'].map((profileId) => s.visits.listViewers({ workspaceId: WS, profileId, since: 0, until: null, offset: 0, limit: 30 })));
    try {
      await record(0, SWAP_ROWS);
      // Table 0 is full and table 1 (empty) counts as folded: recording moves to table 1.
      expect(state()).toEqual({ active: 1, activeFrom: SWAP_ROWS + 1 });
      await record(SWAP_ROWS, 1_000);
      expect([count(0), count(1)]).toEqual([SWAP_ROWS, 1_000]);
      while (foldPending(s.raw, 5_000) > 0);
      const before = await lists();
      // Table 1 fills up (the switch comes at the end of a recording group); table 0, all folded,
      // is emptied at once and takes the next recordings.
      await record(SWAP_ROWS + 1_000, SWAP_ROWS);
      expect(state()).toEqual({ active: 0, activeFrom: 2 * SWAP_ROWS + 1_001 });
      expect([count(0), count(1)]).toEqual([0, SWAP_ROWS + 1_000]);
      expect(s.visits.pending()).toBe(SWAP_ROWS);
      const after = await lists();
      expect(after.map((p) => p.total)).toEqual(before.map((p) => p.total + SWAP_ROWS / 10));
      // Not folded yet, so table 1 stays however full table 0 gets.
      await record(2 * SWAP_ROWS + 1_000, SWAP_ROWS);
      expect(state()).toEqual({ active: 0, activeFrom: 2 * SWAP_ROWS + 1_001 });
      expect([count(0), count(1)]).toEqual([SWAP_ROWS, SWAP_ROWS + 1_000]);
      while (foldPending(s.raw, 5_000) > 0);
      expect(await lists()).toEqual(await lists());
      expect((await lists()).map((p) => p.total)).toEqual(before.map((p) => p.total + (2 * SWAP_ROWS) / 10));
    } finally {
      await s.close();
    }
  });

  it('pending visits survive closing and reopening, and are read and folded afterwards', async () => {
    const s = open(path, 'manual', 0);
    await s.visits.record(WS, [{ clientId: 'x', profileId: 'p', viewerId: 'v', viewedAt: T0, source: 'feed' }], W);
    await s.close();
    const again: Store & { raw: SqliteStore['raw'] } = open(path, 'manual', 0);
    try {
      const q = { workspaceId: WS, profileId: 'p', since: 0, until: null, offset: 0, limit: 10 };
      const before = await again.visits.listViewers(q);
      expect(before.total).toBe(1);
      expect(foldPending(again.raw, 10)).toBe(1);
      expect(await again.visits.listViewers(q)).toEqual(before);
      expect((await again.visits.record(WS, [{ clientId: 'x', profileId: 'p', viewerId: 'v', viewedAt: T0, source: 'feed' }], W))[0]!.status).toBe('replayed');
    } finally {
      await again.close();
    }
  });
});

describe('SQLite fold thread', () => {
  const q = (profileId: string) => ({ workspaceId: WS, profileId, since: 0, until: null, offset: 0, limit: 100 });
  const visits = (n: number, at = T0): AcceptedVisit[] =>
    Array.from({ length: n }, (_, i) => ({ clientId: null, profileId: `p${i % 7}`, viewerId: `v${i}`, viewedAt: at - i * 1000, source: 'feed' }));

  it('folds what was recorded in the background; reads are the same before and after', async () => {
    const s = open(tempPath('bg.db'), 'background');
    try {
      const outcomes = await s.visits.record(WS, visits(3000), W);
      expect(outcomes.every((o) => o.status === 'recorded')).toBe(true);
      const before = await Promise.all(['p0', 'p3', 'p6'].map((p) => s.visits.listViewers(q(p))));
      expect(before[0]!.total).toBe(429);
      expect(await until(() => s.visits.pending() === 0, 20_000)).toBe(true);
      expect(s.raw.prepare('SELECT count(*) FROM visits').pluck().get()).toBe(3000);
      expect(s.raw.prepare('SELECT folded_through FROM fold_state').pluck().get()).toBe(Math.max(...outcomes.map((o) => Number(o.visitId))));
      expect(await Promise.all(['p0', 'p3', 'p6'].map((p) => s.visits.listViewers(q(p))))).toEqual(before);
    } finally {
      await s.close();
    }
  });

  it('a fold empties nothing in the read cache: it changes nothing a reader sees', async () => {
    const s = open(tempPath('cache.db'), 'background');
    try {
      await s.visits.record(WS, visits(700), W);
      const first = await s.visits.listViewers(q('p1'));
      expect(await until(() => s.visits.pending() === 0, 20_000)).toBe(true);
      // The very same rows, served from the cache, not read again.
      expect((await s.visits.listViewers(q('p1'))).rows).toBe(first.rows);
      // A recording does drop that profile's pages.
      await s.visits.record(WS, [{ clientId: null, profileId: 'p1', viewerId: 'new', viewedAt: T0 + 1, source: 'feed' }], W);
      const after = await s.visits.listViewers(q('p1'));
      expect(after.rows[0]!.viewerId).toBe('new');
      expect(after.total).toBe(first.total + 1);
    } finally {
      await s.close();
    }
  });

  it('recording waits while too many visits are pending, and goes on once they are folded', async () => {
    const s = open(tempPath('bp.db'), 'manual', 0, 100);
    try {
      await s.visits.record(WS, visits(150), W);
      expect(s.visits.pending()).toBe(150);
      let answered = false;
      const waiting = s.visits.record(WS, [{ clientId: null, profileId: 'p0', viewerId: 'late', viewedAt: T0, source: 'feed' }], W).then((o) => {
        answered = true;
        return o;
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(answered).toBe(false);
      foldPending(s.raw, 100);
      expect((await waiting)[0]!.status).toBe('recorded');
      expect(s.visits.pending()).toBe(51);
    } finally {
      await s.close();
    }
  });

  it('members, keys and connections are written while the fold thread works, and recordings during it count', async () => {
    const s = open(tempPath('busy.db'), 'background');
    try {
      await s.workspaces.ensure(WS, WS);
      const writes: Promise<unknown>[] = [];
      for (let round = 0; round < 20; round++) {
        writes.push(s.visits.record(WS, visits(500, T0 + round * 3_600_000), W));
        writes.push(s.members.upsert(WS, [{ id: `m${round}`, name: `Member ${round}` }], 'replace', T0));
        writes.push(s.connections.add(WS, `m${round}`, 'hub', T0));
        writes.push(
          s.keys.create({ id: `k${round}`, workspaceId: WS, secretHash: `h${round}`, role: 'admin', memberId: null, name: null, credits: 5, createdAt: T0 }).then(() =>
            s.keys.charge(WS, `k${round}`, 2),
          ),
        );
      }
      await Promise.all(writes);
      expect((await s.keys.list(WS)).map((k) => k.credits)).toEqual(Array.from({ length: 20 }, () => 3));
      expect((await s.members.getMany(WS, ['m0', 'm19'])).size).toBe(2);
      expect((await s.connections.list(WS, 'hub', 0, 100)).total).toBe(20);
      expect(await until(() => s.visits.pending() === 0, 30_000)).toBe(true);
      // 20 rounds of 500 viewers, an hour apart: each viewer's repeats are outside the window.
      expect((await s.visits.listViewers(q('p0'))).rows.reduce((n, r) => n + r.viewCount, 0)).toBe(20 * 72);
    } finally {
      await s.close();
    }
  });
});

describe('SQLite fold thread failures', () => {
  it('a fold thread that dies is replaced, and stopping still ends it', async () => {
    const messages: string[] = [];
    // A path the thread cannot open: each thread dies at start, as after a crash.
    const folder = startFolder({ path: join(tempPath('x'), 'missing', 'x.db'), synchronous: 'normal', gate: new WriteGate(), onError: (m) => messages.push(m) });
    expect(await until(() => messages.filter((m) => m.includes('starting another one')).length >= 2, 10_000)).toBe(true);
    await folder.stop();
    const seen = messages.length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(messages.length).toBe(seen);
  });

  it('the write gate a dead fold thread held is freed, so the request thread can write again', async () => {
    const gate = new WriteGate();
    const thread = new Worker(workerScript('support/gate-holder-worker', import.meta.url), { workerData: gate.buffer });
    expect(await new Promise((resolve) => thread.once('exit', resolve))).toBe(3);
    let wrote = false;
    const write = gate.run(() => (wrote = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(wrote).toBe(false);
    gate.releaseAbandoned();
    await write;
    expect(wrote).toBe(true);
  });
});

describe('mergePage: the page of a list whose pending viewers moved up, from a window of folded rows', () => {
  const row = (viewerId: string, lastViewedAt: number): ViewerSummary => ({ viewerId, viewCount: 1, firstViewedAt: lastViewedAt, lastViewedAt, lastSource: 'search' });
  const order = (a: ViewerSummary, b: ViewerSummary) => b.lastViewedAt - a.lastViewedAt || Buffer.compare(Buffer.from(a.viewerId), Buffer.from(b.viewerId));

  it('equals sorting the whole merged list, for every offset and limit, with merged rows anywhere and ties', () => {
    const rand = lcg(5);
    for (let trial = 0; trial < 150; trial++) {
      // Folded rows (few distinct times, so ties are decided by viewer id), some replaced by a merged
      // row ranking no lower, plus merged rows of viewers not folded at all.
      const folded = Array.from({ length: rand(40) }, (_, i) => row(`v${i}`, 1_000 + rand(30))).sort(order);
      const replaced = folded.filter(() => rand(4) === 0);
      const merged = [
        ...replaced.map((r) => row(r.viewerId, r.lastViewedAt + (rand(3) === 0 ? 0 : rand(40)))),
        ...Array.from({ length: rand(6) }, (_, i) => row(`n${i}`, 990 + rand(60))),
      ];
      const ids = new Set(merged.map((r) => r.viewerId));
      const expected = [...folded.filter((r) => !ids.has(r.viewerId)), ...merged].sort(order);
      for (let offset = 0; offset <= expected.length + 2; offset++) {
        for (const limit of [1, 3, 10]) {
          const from = Math.max(0, offset - merged.length);
          const window = folded.slice(from, offset + limit);
          const got = mergePage(window, from, offset, limit, merged, replaced);
          expect(got.map((r) => r.viewerId), JSON.stringify({ trial, offset, limit })).toEqual(expected.slice(offset, offset + limit).map((r) => r.viewerId));
        }
      }
    }
  });
});
