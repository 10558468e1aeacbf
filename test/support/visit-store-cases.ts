/**
 * The visit store's contract (docs/architecture.md, "Two stores"): recording, the visitor
 * reads, the visit log, the projections, the insights read from one, the erase of a member's
 * visits and the retention purge. One list of cases, run by store-conformance.test.ts on the
 * whole store of each backend and of each pairing, and on a visit store alone (a database where
 * no workspace or member exists): whatever one answers, the others must answer the same.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { INSIGHT_SLOT_MS, ProjectionRunner, slotOf, type AcceptedVisit, type VisitDataStore, type VisitSource } from '../../src/core/index.js';

/** What the cases run against. */
export interface VisitStoreSubject {
  /** The visit store under test. */
  v: VisitDataStore;
  /**
   * Makes these members (and their workspace) exist where there is an entity store beside the
   * visit store; nothing for a visit store alone, whose cases must pass without any.
   */
  members(workspaceId: string, ids: readonly string[]): Promise<void>;
  /** Erases a member as the app does: the whole store's `members.erase`, or the visit store's `eraseMember` alone. */
  erase(workspaceId: string, memberId: string): Promise<void>;
}

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const MIN = 60_000;
const W = 30 * MIN;
const DAY = 86_400_000;
/** Slots up to 2100: every visit of these cases. */
const ALL_SLOTS = slotOf(Date.UTC(2100, 0, 1));

function visit(profileId: string, viewerId: string, viewedAt: number, source: VisitSource = 'search', clientId: string | null = null): AcceptedVisit {
  return { clientId, profileId, viewerId, viewedAt, source };
}

/**
 * Registers the cases (inside the caller's describe). `subject` is read when the cases run, so
 * the caller may open its store in a beforeAll. The retention purge's case comes last: dropping
 * whole ranges (PostgreSQL's monthly partitions) reaches every workspace's old visits.
 */
export function visitStoreCases(subject: () => VisitStoreSubject): void {
  const vs = () => subject().v;
  const statuses = async (ws: string, visits: AcceptedVisit[], windowMs = W) => (await vs().visits.record(ws, visits, windowMs)).map((o) => o.status);
  const runProjections = () => new ProjectionRunner(vs().visitLog, vs().projections).runOnce();
  /** Runs the runner's projections, then waits for those the store advances itself (SQLite's fold thread) to reach the log's head. */
  const settle = async (ws: string) => {
    await runProjections();
    const head = (await vs().visitLog.heads()).find((h) => h.workspaceId === ws)?.position ?? 0;
    for (const p of vs().projections) {
      for (let waited = 0; (await p.checkpoint(ws)) < head; waited += 10) {
        if (waited > 10_000) throw new Error(`projection ${p.name} stays behind the log`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  const viewerIdsOf = async (ws: string, profileId: string) =>
    (await vs().visits.listViewers({ workspaceId: ws, profileId, since: 0, until: null, offset: 0, limit: 100 })).rows.map((r) => r.viewerId);

  describe('visits: record', () => {
    it('a recorded visit gets the client id as its id, or a stored id when it has none', async () => {
      const [withId, withoutId] = await vs().visits.record('r', [visit('p', 'v1', T0, 'search', 'client-1'), visit('p', 'v2', T0)], W);
      expect(withId).toEqual({ status: 'recorded', visitId: 'client-1' });
      expect(withoutId!.status).toBe('recorded');
      expect(withoutId!.visitId).toMatch(/^\d+$/);
    });

    it('dedup window edges: window - 1 ms later is the same view, exactly the window later is a new one', async () => {
      expect(await statuses('r', [visit('p', 'edge', T0)])).toEqual(['recorded']);
      expect(await statuses('r', [visit('p', 'edge', T0 + W - 1)])).toEqual(['deduplicated']);
      expect(await statuses('r', [visit('p', 'edge', T0 + W)])).toEqual(['recorded']);
      expect(await statuses('r', [visit('p', 'edge', T0 + 2 * W - 1)])).toEqual(['deduplicated']);
      // The same edges inside one batch.
      expect(await statuses('r', [visit('p', 'edge-b', T0), visit('p', 'edge-b', T0 + W - 1), visit('p', 'edge-b', T0 + W)])).toEqual([
        'recorded',
        'deduplicated',
        'recorded',
      ]);
    });

    it('a deduplicated visit reports its client id (or nothing) and is not stored', async () => {
      await statuses('r', [visit('p', 'dd', T0)]);
      const [a, b] = await vs().visits.record('r', [visit('p', 'dd', T0 + 1, 'feed', 'dd-client'), visit('p', 'dd', T0 + 2)], W);
      expect(a).toEqual({ status: 'deduplicated', visitId: 'dd-client' });
      expect(b).toEqual({ status: 'deduplicated', visitId: '' });
      const page = await vs().visits.listViewers({ workspaceId: 'r', profileId: 'p', since: 0, until: null, offset: 0, limit: 100 });
      expect(page.rows.find((r) => r.viewerId === 'dd')).toMatchObject({ viewCount: 1, lastSource: 'search' });
      // Not stored, so a retry of it is judged again (and is again the same view).
      expect((await vs().visits.record('r', [visit('p', 'dd', T0 + 3, 'feed', 'dd-client')], W))[0]).toEqual({
        status: 'deduplicated',
        visitId: 'dd-client',
      });
    });

    it('out-of-order visits are deduplicated against the stored visits around them, with the same edges', async () => {
      const at = (k: number) => T0 + k * W;
      expect(await statuses('r', [visit('p', 'ooo', at(0)), visit('p', 'ooo', at(3))])).toEqual(['recorded', 'recorded']);
      // Between two stored visits, exactly one window from the first and two from the last.
      expect(await statuses('r', [visit('p', 'ooo', at(1))])).toEqual(['recorded']);
      expect(await statuses('r', [visit('p', 'ooo', at(1) + W / 2)])).toEqual(['deduplicated']);
      expect(await statuses('r', [visit('p', 'ooo', at(3) - 1)])).toEqual(['deduplicated']);
      expect(await statuses('r', [visit('p', 'ooo', at(2) + 1)])).toEqual(['deduplicated']);
      expect(await statuses('r', [visit('p', 'ooo', at(2))])).toEqual(['recorded']);
      // Before the first stored visit.
      expect(await statuses('r', [visit('p', 'ooo', at(0) - W + 1)])).toEqual(['deduplicated']);
      expect(await statuses('r', [visit('p', 'ooo', at(0) - W)])).toEqual(['recorded']);
      // Out of order within one batch, against visits of the same batch.
      expect(await statuses('r', [visit('p', 'ooo', at(10)), visit('p', 'ooo', at(8)), visit('p', 'ooo', at(8) + W - 1), visit('p', 'ooo', at(9) + 1), visit('p', 'ooo', at(9))])).toEqual([
        'recorded',
        'recorded',
        'deduplicated',
        'deduplicated',
        'recorded',
      ]);
      const page = await vs().visits.listViewers({ workspaceId: 'r', profileId: 'p', since: 0, until: null, offset: 0, limit: 100 });
      expect(page.rows.find((r) => r.viewerId === 'ooo')).toMatchObject({ viewCount: 8, firstViewedAt: at(0) - W, lastViewedAt: at(10) });
    });

    it('a retry with the same client id is replayed, never counted twice, whatever its time', async () => {
      expect(await vs().visits.record('r', [visit('p', 'rp', T0, 'search', 'retry-1')], W)).toEqual([{ status: 'recorded', visitId: 'retry-1' }]);
      expect(await vs().visits.record('r', [visit('p', 'rp', T0, 'search', 'retry-1')], W)).toEqual([{ status: 'replayed', visitId: 'retry-1' }]);
      expect(await vs().visits.record('r', [visit('p', 'rp', T0 + 10 * W, 'feed', 'retry-1')], W)).toEqual([{ status: 'replayed', visitId: 'retry-1' }]);
      // Twice in one batch: the second is the replay of the first.
      expect(await statuses('r', [visit('p', 'rp2', T0, 'search', 'retry-2'), visit('p', 'rp2', T0 + 5 * W, 'search', 'retry-2')])).toEqual([
        'recorded',
        'replayed',
      ]);
      // Client ids are per workspace.
      expect(await statuses('r-other', [visit('p', 'rp', T0, 'search', 'retry-1')])).toEqual(['recorded']);
      const page = await vs().visits.listViewers({ workspaceId: 'r', profileId: 'p', since: 0, until: null, offset: 0, limit: 100 });
      expect(page.rows.find((r) => r.viewerId === 'rp')).toMatchObject({ viewCount: 1, lastViewedAt: T0 });
      expect(page.rows.find((r) => r.viewerId === 'rp2')).toMatchObject({ viewCount: 1 });
    });

    it('a zero window stores every visit', async () => {
      expect(await statuses('r', [visit('p', 'zero', T0), visit('p', 'zero', T0), visit('p', 'zero', T0 + 1)], 0)).toEqual(['recorded', 'recorded', 'recorded']);
    });

    it('an empty batch records nothing', async () => {
      expect(await vs().visits.record('r', [], W)).toEqual([]);
    });
  });

  describe('visits: listViewers', () => {
    const ws = 'l';
    // The rows and the total; the viewers' cards some backends read with them are the whole store's (store-conformance.test.ts).
    const list = async (since: number, until: number | null, offset = 0, limit = 100, profileId = 'owner') => {
      const { total, rows } = await vs().visits.listViewers({ workspaceId: ws, profileId, since, until, offset, limit });
      return { total, rows };
    };

    beforeAll(async () => {
      const day = 24 * 60 * MIN;
      await vs().visits.record(
        ws,
        [
          // old: three views long ago, one recent view.
          visit('owner', 'old', T0 - 10 * day, 'search'),
          visit('owner', 'old', T0 - 9 * day, 'feed'),
          visit('owner', 'old', T0 - 8 * day, 'group'),
          visit('owner', 'old', T0 - 1 * day, 'profile'),
          // recent: two views in the last days; the later one by an out-of-order write.
          visit('owner', 'recent', T0 - 2 * day, 'direct'),
          visit('owner', 'recent', T0 - 3 * day, 'external'),
          // Two viewers tied on their last view, ordered by id, bytewise: "B" before "a".
          visit('owner', 'a', T0 - 4 * day, 'similar_profiles'),
          visit('owner', 'B', T0 - 4 * day, 'other'),
          // Only long ago.
          visit('owner', 'gone', T0 - 20 * day, 'search'),
          // Another profile and another workspace must not leak in.
          visit('someone-else', 'intruder', T0, 'search'),
        ],
        W,
      );
      await vs().visits.record('l-other', [visit('owner', 'intruder', T0, 'search')], W);
    });

    it('open-ended: newest first, ties by viewer id, with the all-time summary when the range covers it', async () => {
      const page = await list(0, null);
      expect(page.total).toBe(5);
      expect(page.rows.map((r) => r.viewerId)).toEqual(['old', 'recent', 'B', 'a', 'gone']);
      const day = 24 * 60 * MIN;
      expect(page.rows[0]).toEqual({ viewerId: 'old', viewCount: 4, firstViewedAt: T0 - 10 * day, lastViewedAt: T0 - day, lastSource: 'profile' });
      // The older, out-of-order visit did not become the last source.
      expect(page.rows[1]).toEqual({ viewerId: 'recent', viewCount: 2, firstViewedAt: T0 - 3 * day, lastViewedAt: T0 - 2 * day, lastSource: 'direct' });
      expect(page.rows[2]).toMatchObject({ viewerId: 'B', lastSource: 'other' });
    });

    it('open-ended from a later `since`: only viewers seen since then, with counts within the range', async () => {
      const day = 24 * 60 * MIN;
      const page = await list(T0 - 9 * day, null);
      expect(page.total).toBe(4);
      expect(page.rows.map((r) => r.viewerId)).toEqual(['old', 'recent', 'B', 'a']);
      expect(page.rows[0]).toEqual({ viewerId: 'old', viewCount: 3, firstViewedAt: T0 - 9 * day, lastViewedAt: T0 - day, lastSource: 'profile' });
      expect(page.rows[1]).toMatchObject({ viewerId: 'recent', viewCount: 2 });
      const later = await list(T0 - 2 * day, null);
      expect(later.total).toBe(2);
      expect(later.rows).toEqual([
        { viewerId: 'old', viewCount: 1, firstViewedAt: T0 - day, lastViewedAt: T0 - day, lastSource: 'profile' },
        { viewerId: 'recent', viewCount: 1, firstViewedAt: T0 - 2 * day, lastViewedAt: T0 - 2 * day, lastSource: 'direct' },
      ]);
    });

    it('offset and limit page through the same order; the total does not depend on the page', async () => {
      const all = (await list(0, null)).rows.map((r) => r.viewerId);
      const pages = [];
      for (let offset = 0; offset < 6; offset += 2) pages.push(await list(0, null, offset, 2));
      expect(pages.map((p) => p.total)).toEqual([5, 5, 5]);
      expect(pages.flatMap((p) => p.rows.map((r) => r.viewerId))).toEqual(all);
      expect(await list(0, null, 10, 5)).toEqual({ total: 5, rows: [] });
    });

    it('a closed range (until) counts the raw visits in [since, until), with the last source in the range', async () => {
      const day = 24 * 60 * MIN;
      const page = await list(T0 - 10 * day, T0 - 3 * day);
      expect(page.total).toBe(3);
      expect(page.rows).toEqual([
        { viewerId: 'B', viewCount: 1, firstViewedAt: T0 - 4 * day, lastViewedAt: T0 - 4 * day, lastSource: 'other' },
        { viewerId: 'a', viewCount: 1, firstViewedAt: T0 - 4 * day, lastViewedAt: T0 - 4 * day, lastSource: 'similar_profiles' },
        { viewerId: 'old', viewCount: 3, firstViewedAt: T0 - 10 * day, lastViewedAt: T0 - 8 * day, lastSource: 'group' },
      ]);
      const wider = await list(T0 - 10 * day, T0 - 2 * day);
      expect(wider.total).toBe(4);
      expect(wider.rows.map((r) => r.viewerId)).toEqual(['recent', 'B', 'a', 'old']);
      expect(wider.rows[0]).toEqual({ viewerId: 'recent', viewCount: 1, firstViewedAt: T0 - 3 * day, lastViewedAt: T0 - 3 * day, lastSource: 'external' });
      expect(wider.rows[3]).toEqual({ viewerId: 'old', viewCount: 3, firstViewedAt: T0 - 10 * day, lastViewedAt: T0 - 8 * day, lastSource: 'group' });
      // `until` is exclusive, `since` inclusive.
      expect((await list(T0 - 8 * day, T0 - 8 * day + 1)).rows.map((r) => r.viewerId)).toEqual(['old']);
      expect((await list(T0 - 8 * day + 1, T0 - 4 * day)).total).toBe(0);
      const paged = await list(T0 - 30 * day, T0, 1, 2);
      expect(paged.total).toBe(5);
      expect(paged.rows.map((r) => r.viewerId)).toEqual(['recent', 'B']);
    });

    it('the last source of a closed range is the latest stored visit at the latest instant', async () => {
      await vs().visits.record(ws, [visit('tie-owner', 'v', T0, 'search'), visit('tie-owner', 'v', T0, 'feed')], 0);
      const page = await list(0, T0 + 1, 0, 10, 'tie-owner');
      expect(page.rows).toEqual([{ viewerId: 'v', viewCount: 2, firstViewedAt: T0, lastViewedAt: T0, lastSource: 'feed' }]);
      expect((await list(0, null, 0, 10, 'tie-owner')).rows[0]).toMatchObject({ viewCount: 2, lastSource: 'feed' });
    });

    it('an unknown profile has no viewers', async () => {
      expect(await list(0, null, 0, 10, 'nobody')).toEqual({ total: 0, rows: [] });
      expect(await list(0, T0, 0, 10, 'nobody')).toEqual({ total: 0, rows: [] });
    });
  });

  describe('visits: the total, from the last-view histogram', () => {
    const DAY = 86_400_000;
    // A small deterministic generator, so a failure replays identically.
    let seed = 7;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), (seed >>> 8) % n);

    it('equals a brute-force count of distinct last views for any boundary, also after an erase', async () => {
      const ws = 'hist';
      await subject().members(ws, ['owner', 'owner2', ...Array.from({ length: 40 }, (_, i) => `v${i}`)]);
      const T0 = 400 * DAY + 13 * 3_600_000;
      // In order and out of order, within one call and across calls, several per pair.
      for (let call = 0; call < 6; call++) {
        const batch: AcceptedVisit[] = Array.from({ length: 60 }, () => ({
          clientId: null,
          profileId: rand(4) === 0 ? 'owner2' : 'owner',
          viewerId: `v${rand(40)}`,
          viewedAt: T0 + rand(12 * DAY),
          source: 'search' as VisitSource,
        }));
        await vs().visits.record(ws, batch, 0);
      }
      const lastViews = async (profileId: string) => {
        const all = await vs().visits.listViewers({ workspaceId: ws, profileId, since: 0, until: null, offset: 0, limit: 1000 });
        return all.rows.map((r) => r.lastViewedAt);
      };
      const check = async (profileId: string) => {
        const last = await lastViews(profileId);
        for (const since of [0, T0, T0 + DAY - 1, T0 + DAY, T0 + 3 * DAY + 5, T0 + 7 * DAY + 12 * 3_600_000, T0 + 11 * DAY + 1, T0 + 20 * DAY]) {
          const { total } = await vs().visits.listViewers({ workspaceId: ws, profileId, since, until: null, offset: 0, limit: 1 });
          expect(total, `since ${since - T0} ms after T0`).toBe(last.filter((t) => t >= since).length);
        }
      };
      await check('owner');
      await check('owner2');
      const before = (await lastViews('owner')).length;
      expect(before).toBeGreaterThan(10);
      // Erasing a viewer lowers the totals of every profile they viewed.
      const victim = (await vs().visits.listViewers({ workspaceId: ws, profileId: 'owner', since: 0, until: null, offset: 0, limit: 1 })).rows[0]!.viewerId;
      await subject().erase(ws, victim);
      expect((await lastViews('owner')).length).toBe(before - 1);
      await check('owner');
      await check('owner2');
    });
  });

  describe('visits: many concurrent calls', () => {
    it('records every visit of concurrent calls that add up to several group commits, each answered in order', async () => {
      const ws = 'burst';
      await subject().members(ws, Array.from({ length: 201 }, (_, i) => `b${i}`));
      const call = (k: number) =>
        Array.from({ length: 900 }, (_, i) => ({
          clientId: `c${k}-${i}`,
          profileId: 'b0',
          viewerId: `b${1 + ((k * 900 + i) % 200)}`,
          viewedAt: 5_000_000 + (k * 900 + i) * 1000,
          source: 'feed' as VisitSource,
        }));
      const outcomes = await Promise.all([0, 1, 2, 3, 4].map((k) => vs().visits.record(ws, call(k), 0)));
      for (const [k, o] of outcomes.entries()) {
        expect(o).toHaveLength(900);
        expect(o.every((r, i) => r.status === 'recorded' && r.visitId === `c${k}-${i}`)).toBe(true);
      }
      const page = await vs().visits.listViewers({ workspaceId: ws, profileId: 'b0', since: 0, until: null, offset: 0, limit: 200 });
      expect(page.total).toBe(200);
      expect(page.rows.reduce((n, r) => n + r.viewCount, 0)).toBe(4500);
    });
  });

  describe('visits: by pair, by client id, by viewer, and after a cursor', () => {
    const ws = 'vs-reads';

    it('viewsOfPair: every stored view of a pair from `since` on, by time; deduplicated ones were never stored', async () => {
      expect(await statuses(ws, [visit('pair-o', 'a', T0 + W, 'feed'), visit('pair-o', 'a', T0, 'search'), visit('pair-o', 'a', T0 + 5), visit('pair-o', 'b', T0 + 1)])).toEqual([
        'recorded',
        'recorded',
        'deduplicated',
        'recorded',
      ]);
      expect(await vs().visits.viewsOfPair(ws, 'pair-o', 'a', 0)).toEqual([
        { viewedAt: T0, source: 'search' },
        { viewedAt: T0 + W, source: 'feed' },
      ]);
      expect(await vs().visits.viewsOfPair(ws, 'pair-o', 'a', T0 + 1)).toEqual([{ viewedAt: T0 + W, source: 'feed' }]);
      expect(await vs().visits.viewsOfPair(ws, 'pair-o', 'nobody', 0)).toEqual([]);
      expect(await vs().visits.viewsOfPair('vs-reads-other', 'pair-o', 'a', 0)).toEqual([]);
    });

    it('byClientIds names the visit each id was first sent with, within the workspace', async () => {
      await vs().visits.record(ws, [visit('cid-o', 'a', T0, 'search', 'cid-1'), visit('cid-o', 'b', T0 + 1, 'feed', 'cid-2')], W);
      await vs().visits.record(ws, [visit('cid-o', 'c', T0 + 2, 'feed', 'cid-1')], W);
      const found = await vs().visits.byClientIds(ws, ['cid-1', 'cid-2', 'cid-none']);
      expect(Object.fromEntries(found)).toEqual({
        'cid-1': { profileId: 'cid-o', viewerId: 'a', viewedAt: T0 },
        'cid-2': { profileId: 'cid-o', viewerId: 'b', viewedAt: T0 + 1 },
      });
      expect((await vs().visits.byClientIds('vs-reads-other', ['cid-1'])).size).toBe(0);
      expect((await vs().visits.byClientIds(ws, [])).size).toBe(0);
    });

    it('viewedBy: the profiles a member viewed, one row each, by profile id, page by page', async () => {
      await vs().visits.record(ws, [visit('vb-2', 'vb', T0, 'search'), visit('vb-1', 'vb', T0 + 1), visit('vb-1', 'vb', T0 + W + 1), visit('vb-3', 'other', T0)], W);
      expect(await vs().visits.viewedBy(ws, 'vb', '', 10)).toEqual([
        { profileId: 'vb-1', viewCount: 2, firstViewedAt: T0 + 1, lastViewedAt: T0 + W + 1 },
        { profileId: 'vb-2', viewCount: 1, firstViewedAt: T0, lastViewedAt: T0 },
      ]);
      expect((await vs().visits.viewedBy(ws, 'vb', '', 1)).map((p) => p.profileId)).toEqual(['vb-1']);
      expect((await vs().visits.viewedBy(ws, 'vb', 'vb-1', 10)).map((p) => p.profileId)).toEqual(['vb-2']);
      expect(await vs().visits.viewedBy(ws, 'nobody', '', 10)).toEqual([]);
    });

    it('viewersAfter pages the open-ended list from where the last page ended, with the same rows and exclusions', async () => {
      await vs().visits.record(ws, [1, 2, 3, 4, 5].map((i) => visit('cur-o', `v${i}`, T0 + i * MIN)), W);
      // A tie on the last view: ordered by viewer id.
      await vs().visits.record(ws, [visit('cur-o', 'v0', T0 + 3 * MIN)], W);
      const all = (await vs().visits.listViewers({ workspaceId: ws, profileId: 'cur-o', since: 0, until: null, offset: 0, limit: 100 })).rows;
      expect(all.map((r) => r.viewerId)).toEqual(['v5', 'v4', 'v0', 'v3', 'v2', 'v1']);
      const pages = [];
      let after = null;
      for (let i = 0; i < 4; i++) {
        const { rows } = await vs().visits.viewersAfter({ workspaceId: ws, profileId: 'cur-o', since: 0, after, limit: 2 });
        pages.push(rows);
        if (rows.length === 0) break;
        after = { lastViewedAt: rows.at(-1)!.lastViewedAt, viewerId: rows.at(-1)!.viewerId };
      }
      expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 0]);
      expect(pages.flat()).toEqual(all);
      const without = await vs().visits.viewersAfter({ workspaceId: ws, profileId: 'cur-o', since: T0 + 2 * MIN, after: { lastViewedAt: T0 + 4 * MIN, viewerId: 'v4' }, limit: 10, excludeViewerIds: ['v3'] });
      expect(without.rows.map((r) => r.viewerId)).toEqual(['v0', 'v2']);
    });
  });

  describe('the visit log', () => {
    const ws = 'vs-log';

    it('holds every counted visit once, in order, per workspace; repeats and replays are not in it', async () => {
      await vs().visits.record(ws, [visit('o', 'a', T0, 'search', 'log-1'), visit('o', 'a', T0 + 1), visit('o', 'b', T0 + 2, 'feed')], W);
      await vs().visits.record(ws, [visit('o', 'a', T0, 'search', 'log-1'), visit('p', 'a', T0 + 3, 'group')], W);
      await vs().visits.record('vs-log-other', [visit('o', 'z', T0)], W);
      const log = await vs().visitLog.read(ws, 0, 10);
      expect(log.map(({ workspaceId, profileId, viewerId, viewedAt, source }) => ({ workspaceId, profileId, viewerId, viewedAt, source }))).toEqual([
        { workspaceId: ws, profileId: 'o', viewerId: 'a', viewedAt: T0, source: 'search' },
        { workspaceId: ws, profileId: 'o', viewerId: 'b', viewedAt: T0 + 2, source: 'feed' },
        { workspaceId: ws, profileId: 'p', viewerId: 'a', viewedAt: T0 + 3, source: 'group' },
      ]);
      expect(log[0]!.visitId).toBe('log-1');
      for (const e of log) expect(e.visitId).not.toBe('');
      for (let i = 1; i < log.length; i++) expect(log[i]!.position).toBeGreaterThan(log[i - 1]!.position);
      for (const e of log) expect(typeof e.recordedAt).toBe('number');
      expect(await vs().visitLog.read(ws, log[0]!.position, 1)).toEqual([log[1]]);
      expect(await vs().visitLog.read(ws, log[2]!.position, 10)).toEqual([]);
      expect((await vs().visitLog.read('vs-log-other', 0, 10)).map((e) => e.viewerId)).toEqual(['z']);
    });

    it('heads name each workspace\'s newest entry; behind counts what lies above a position', async () => {
      const log = await vs().visitLog.read(ws, 0, 10);
      const head = (await vs().visitLog.heads()).find((h) => h.workspaceId === ws);
      expect(head).toEqual({ workspaceId: ws, position: log.at(-1)!.position, recordedAt: log.at(-1)!.recordedAt });
      expect(await vs().visitLog.behind(ws, 0)).toEqual({ entries: 3, oldestRecordedAt: log[0]!.recordedAt });
      expect(await vs().visitLog.behind(ws, log[1]!.position)).toEqual({ entries: 1, oldestRecordedAt: log[2]!.recordedAt });
      expect(await vs().visitLog.behind(ws, log[2]!.position)).toEqual({ entries: 0, oldestRecordedAt: null });
      expect(await vs().visitLog.behind('vs-log-none', 0)).toEqual({ entries: 0, oldestRecordedAt: null });
    });
  });

  describe('projections and the insights read from one', () => {
    const ws = 'vs-ins';
    // Three 15-minute slots from s0; T0 is on a slot boundary.
    const s0 = slotOf(T0);
    const at = (slot: number, plus = 0) => (s0 + slot) * INSIGHT_SLOT_MS + plus;
    const end = s0 + 3;

    it('the runner brings every projection it drives to the log\'s head, and applying a batch again changes nothing', async () => {
      await subject().members(ws, ['o', 'p', 'q', 'a', 'b', 'c']);
      // A zero window: every visit is stored and counted.
      await vs().visits.record(
        ws,
        [
          visit('o', 'a', at(0), 'search'),
          visit('o', 'a', at(1), 'feed'),
          visit('o', 'b', at(1, 1), 'search'),
          visit('o', 'c', at(2), 'profile'),
          visit('o', 'a', at(2, 5), 'search'),
          visit('p', 'a', at(1), 'search'),
          visit('p', 'b', at(0), 'feed'),
        ],
        0,
      );
      await vs().visits.record('vs-ins-other', [visit('o', 'z', at(0))], 0);
      expect(vs().projections.map((p) => p.name)).toEqual(expect.arrayContaining(['summary', 'insights']));
      await runProjections();
      const head = (await vs().visitLog.heads()).find((h) => h.workspaceId === ws)!;
      for (const p of vs().projections.filter((p) => p.drivenBy === 'runner')) expect(await p.checkpoint(ws), p.name).toBe(head.position);
      const insights = vs().projections.find((p) => p.name === 'insights')!;
      const before = await vs().insights.profileViews(ws, 'o', [s0, end]);
      expect(before).toEqual([5]);
      await insights.apply(ws, await vs().visitLog.read(ws, 0, 100));
      expect(await vs().insights.profileViews(ws, 'o', [s0, end])).toEqual(before);
      expect(await insights.checkpoint(ws)).toBe(head.position);
    });

    it('views per bucket, of all viewers or of some', async () => {
      expect(await vs().insights.profileViews(ws, 'o', [s0, s0 + 1, s0 + 2, end])).toEqual([1, 2, 2]);
      expect(await vs().insights.profileViews(ws, 'o', [s0, s0 + 1, s0 + 2, end], ['a'])).toEqual([1, 1, 1]);
      expect(await vs().insights.profileViews(ws, 'o', [s0 + 1, end], ['b', 'c'])).toEqual([2]);
      expect(await vs().insights.profileViews(ws, 'o', [s0 - 10, s0])).toEqual([0]);
      expect(await vs().insights.profileViews('vs-ins-other', 'o', [s0, end])).toEqual([1]);
    });

    it('distinct viewers of a profile, and each with the sources of their views', async () => {
      expect(await vs().insights.distinctViewers(ws, 'o', s0, end, [])).toBe(3);
      expect(await vs().insights.distinctViewers(ws, 'o', s0, end, ['b'])).toBe(2);
      expect(await vs().insights.distinctViewers(ws, 'o', s0 + 1, s0 + 2, [])).toBe(2);
      const ranged = await vs().insights.rangeViewers(ws, 'o', s0, end, ['c']);
      expect(ranged.map((r) => [r.viewerId, [...r.sources].sort()]).sort()).toEqual([
        ['a', ['feed', 'search']],
        ['b', ['search']],
      ]);
      expect(await vs().insights.rangeViewers(ws, 'nobody', s0, end, [])).toEqual([]);
    });

    it('the workspace: views per slot and source, distinct viewers per bucket and of the range, top profiles', async () => {
      const views = (await vs().insights.workspaceViews(ws, s0, end)).map((r) => [r.slot - s0, r.source, r.views]).sort();
      expect(views).toEqual([
        [0, 'feed', 1],
        [0, 'search', 1],
        [1, 'feed', 1],
        [1, 'search', 2],
        [2, 'profile', 1],
        [2, 'search', 1],
      ]);
      const viewers = await vs().insights.workspaceViewers(ws, [s0, s0 + 1, s0 + 2, end]);
      expect(viewers.perBucket).toEqual([2, 2, 2]);
      expect([...viewers.viewerIds].sort()).toEqual(['a', 'b', 'c']);
      const later = await vs().insights.workspaceViewers(ws, [s0 + 2, end]);
      expect([later.perBucket, [...later.viewerIds].sort()]).toEqual([[2], ['a', 'c']]);
      expect(await vs().insights.workspaceViewers(ws, [end, end + 1])).toEqual({ perBucket: [0], viewerIds: [] });
      expect(await vs().insights.topProfiles(ws, s0, end, 10)).toEqual([
        { profileId: 'o', views: 5 },
        { profileId: 'p', views: 2 },
      ]);
      expect(await vs().insights.topProfiles(ws, s0, end, 1)).toEqual([{ profileId: 'o', views: 5 }]);
    });

    it("a profile's version, where the backend has one, moves when its rows change", async () => {
      await vs().visits.record(ws, [visit('q', 'a', at(0))], 0);
      await runProjections();
      const first = await vs().insights.versions(ws, 'q');
      await vs().visits.record(ws, [visit('q', 'b', at(1))], 0);
      await runProjections();
      const second = await vs().insights.versions(ws, 'q');
      expect(second === null).toBe(first === null);
      if (first && second) expect(second.projection).not.toBe(first.projection);
      expect(await vs().insights.profileViews(ws, 'q', [s0, end])).toEqual([2]);
    });
  });

  describe("erasing a member's visits", () => {
    const ws = 'vs-erase';

    it('takes them out as viewer and as owner: lists, pairs, client ids, the log and insights; a second erase changes nothing', async () => {
      await subject().members(ws, ['o', 'a', 'b']);
      await vs().visits.record(
        ws,
        [visit('o', 'a', T0, 'search', 'e-a'), visit('o', 'b', T0 + 1, 'feed', 'e-b'), visit('a', 'b', T0 + 2, 'search', 'e-ba'), visit('b', 'a', T0 + 3, 'feed')],
        W,
      );
      await runProjections();
      expect(await viewerIdsOf(ws, 'o')).toEqual(['b', 'a']);
      for (let i = 0; i < 2; i++) {
        await subject().erase(ws, 'a');
        await runProjections();
        expect(await viewerIdsOf(ws, 'o')).toEqual(['b']);
        expect(await viewerIdsOf(ws, 'a')).toEqual([]);
        expect(await viewerIdsOf(ws, 'b')).toEqual([]);
        expect((await vs().visits.listViewers({ workspaceId: ws, profileId: 'o', since: 0, until: T0 + 10, offset: 0, limit: 10 })).rows.map((r) => r.viewerId)).toEqual(['b']);
        expect(await vs().visits.viewedBy(ws, 'a', '', 10)).toEqual([]);
        expect(await vs().visits.viewsOfPair(ws, 'o', 'a', 0)).toEqual([]);
        expect([...(await vs().visits.byClientIds(ws, ['e-a', 'e-b', 'e-ba'])).keys()]).toEqual(['e-b']);
        expect((await vs().visitLog.read(ws, 0, 10)).map((e) => [e.profileId, e.viewerId])).toEqual([['o', 'b']]);
        expect((await vs().insights.rangeViewers(ws, 'o', 0, ALL_SLOTS, [])).map((r) => r.viewerId)).toEqual(['b']);
        expect(await vs().insights.profileViews(ws, 'o', [0, ALL_SLOTS])).toEqual([1]);
        expect(await vs().insights.profileViews(ws, 'a', [0, ALL_SLOTS])).toEqual([0]);
        expect((await vs().insights.workspaceViewers(ws, [0, ALL_SLOTS])).viewerIds).toEqual(['b']);
        expect(await vs().insights.topProfiles(ws, 0, ALL_SLOTS, 10)).toEqual([{ profileId: 'o', views: 1 }]);
      }
    });
  });

  // Last: dropping whole ranges reaches every workspace's visits before the cutoff (see above).
  describe('the retention purge', () => {
    const ws = 'vs-ret';
    const OLD = Date.UTC(2001, 0, 15);
    const cutoff = Date.UTC(2001, 5, 1);

    it('counts, then removes, the visits before the cutoff with their log entries, summaries and insights', async () => {
      await subject().members(ws, ['o', 'p', 'a', 'b', 'c']);
      await vs().visits.record(
        ws,
        [visit('o', 'a', OLD, 'search', 'r-old'), visit('o', 'a', OLD + DAY), visit('o', 'b', OLD + 2 * DAY), visit('p', 'c', OLD), visit('o', 'a', T0, 'feed', 'r-new')],
        W,
      );
      // The dry run counts pairs from the visitor summary as built: on SQLite its fold thread
      // builds it moments after the visits are acknowledged, so the count waits for it.
      await settle(ws);
      expect(await vs().retention.countExpired(ws, cutoff)).toEqual({ visits: 4, pairsRemoved: 2, pairsChanged: 1, logEntries: 4 });
      expect(await vs().retention.dropWholeRanges(cutoff)).toBeGreaterThanOrEqual(0);
      let done = false;
      for (let i = 0; i < 50 && !done; i++) ({ done } = await vs().retention.purgeBatch(ws, cutoff, 2));
      expect(done).toBe(true);
      expect(await vs().retention.countExpired(ws, cutoff)).toEqual({ visits: 0, pairsRemoved: 0, pairsChanged: 0, logEntries: 0 });
      const page = await vs().visits.listViewers({ workspaceId: ws, profileId: 'o', since: 0, until: null, offset: 0, limit: 10 });
      expect(page.total).toBe(1);
      expect(page.rows).toEqual([{ viewerId: 'a', viewCount: 1, firstViewedAt: T0, lastViewedAt: T0, lastSource: 'feed' }]);
      expect(await viewerIdsOf(ws, 'p')).toEqual([]);
      expect((await vs().visits.listViewers({ workspaceId: ws, profileId: 'o', since: 0, until: cutoff, offset: 0, limit: 10 })).total).toBe(0);
      expect([...(await vs().visits.byClientIds(ws, ['r-old', 'r-new'])).keys()]).toEqual(['r-new']);
      expect((await vs().visitLog.read(ws, 0, 10)).map((e) => e.viewedAt)).toEqual([T0]);
      expect(await vs().insights.profileViews(ws, 'o', [0, slotOf(cutoff), ALL_SLOTS])).toEqual([0, 1]);
      expect((await vs().insights.workspaceViewers(ws, [0, ALL_SLOTS])).viewerIds).toEqual(['a']);
    });
  });
}
