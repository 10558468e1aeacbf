/**
 * Workspace insights on SQLite read the range's viewer slots, the viewers' visibilities and the
 * profiles' sums in chunks with a turn of the event loop between them, so that an admin's report
 * over millions of rows does not hold the server's one thread (docs/insights.md, "Cost"). Here,
 * more rows than two chunks (several hundred per 15-minute slot, so chunks end inside slots),
 * more viewers and more profiles than one chunk: the report's figures equal those counted here
 * from the visits the API acknowledged as recorded, and other work runs while they are read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteBackend } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth, postBatch } from './support/assertions.js';
import { RANGE_CHUNK } from '../src/storage/sqlite/insights.js';
import { slotOf, type MemberInput, type Visibility } from '../src/core/index.js';

const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
const DAY = 86_400_000;
const VISIBILITIES: Visibility[] = ['full', 'characteristics', 'private'];
const SOURCES = ['search', 'feed', 'profile', 'group'];
/**
 * Members: every one a possible viewer and profile; more than two chunks of either (a read of
 * two chunks turns once, which a setImmediate scheduled after the call need not see: the
 * store's own turn was scheduled first).
 */
const MEMBERS = 8_402;
/** Visits in the range: more than four chunks of rows, enough for every member to be viewed. */
const IN_RANGE = RANGE_CHUNK * 4 + 1_000;
const PER_SLOT = 500;
/**
 * Every third visit goes to one of these, as many times per round as its weight: distinct
 * counts, and three profiles tied at 5 across the top ten's edge (ties go by id).
 */
const HOT: [string, number][] = [
  ['m5100', 12],
  ['m0007', 11],
  ['m4097', 10],
  ['m0300', 9],
  ['m5199', 8],
  ['m2048', 8],
  ['m4095', 7],
  ['m4096', 6],
  ['m3000', 5],
  ['m0001', 5],
  ['m5000', 5],
  ['m0042', 3],
];
const HOT_ROUND = HOT.flatMap(([id, w]) => Array<string>(w).fill(id));

const id = (i: number) => `m${String(i).padStart(4, '0')}`;

describe('workspace insights over more rows than one chunk (SQLite)', () => {
  let t: TestApp;
  let admin: string;
  const ws = 'ins-ws-chunks';
  const visibility = new Map<string, Visibility>();
  const recorded: { profileId: string; viewerId: string; viewedAt: number; source: string }[] = [];

  beforeAll(async () => {
    t = await startTestApp(sqliteBackend);
    t.clock.t = NOW;
    const members: MemberInput[] = [];
    for (let i = 0; i < MEMBERS; i++) {
      const v = VISIBILITIES[i % VISIBILITIES.length]!;
      visibility.set(id(i), v);
      members.push({ id: id(i), name: `M ${i}`, visibility: v });
    }
    await t.members(ws, members);
    admin = await t.adminKey(ws);
    const visits: typeof recorded = [];
    for (let k = 0; k < IN_RANGE; k++) {
      // PER_SLOT visits a second apart every 17 hours from 27 days ago (some days have two
      // slots), with 50 hours more after the 17th slot (a day without any between full ones).
      const j = Math.floor(k / PER_SLOT);
      const viewedAt = NOW - 27 * DAY + (j * 17 + (j >= 17 ? 50 : 0)) * 3_600_000 + (k % PER_SLOT) * 1_000;
      // Other profiles are never the hot ones, and no one views their own profile, so that the
      // hot profiles' counts are their weights' (ties stay ties). Viewers are distinct within a
      // slot (7,919 is prime to MEMBERS): nothing is deduplicated. MEMBERS is not a multiple of
      // 3, so every member is among the other profiles.
      let cold = (k * 31 + 17) % MEMBERS;
      while (HOT.some(([h]) => h === id(cold))) cold = (cold + 1) % MEMBERS;
      const profileId = k % 3 === 0 ? HOT_ROUND[(k / 3) % HOT_ROUND.length]! : id(cold);
      let viewer = (k * 7_919) % MEMBERS;
      if (id(viewer) === profileId) viewer = (viewer + 1) % MEMBERS;
      visits.push({ profileId, viewerId: id(viewer), viewedAt, source: SOURCES[k % SOURCES.length]! });
    }
    // And some before the range, which it must leave out.
    for (let k = 0; k < 300; k++) visits.push({ profileId: id(k), viewerId: id(k + 1), viewedAt: NOW - 40 * DAY + k * 1_000, source: 'feed' });
    for (let i = 0; i < visits.length; i += 2_000) {
      const chunk = visits.slice(i, i + 2_000);
      const res = await postBatch(t, admin, chunk);
      res.results.forEach((r: { status: string }, k: number) => {
        if (r.status === 'recorded') recorded.push(chunk[k]!);
      });
    }
    expect(recorded.length).toBeGreaterThan(IN_RANGE - 100);
  }, 120_000);
  afterAll(() => t?.close());

  it('the report counts every recorded visit and viewer once, in its bucket and source', async () => {
    const res = await t.request('GET', '/v1/insights?range=30d&tz=UTC', { headers: auth(admin) });
    expect(res.status, res.text).toBe(200);
    const body = res.body;
    const inRange = recorded.filter((v) => v.viewedAt >= body.from && v.viewedAt < body.to);
    expect(inRange.length).toBeGreaterThan(RANGE_CHUNK * 2);
    expect(inRange.length).toBeLessThan(recorded.length);

    expect(body.series.map((b: any) => ({ views: b.views, viewers: b.viewers }))).toEqual(
      body.series.map((b: any) => {
        const inBucket = inRange.filter((v) => v.viewedAt >= b.from && v.viewedAt < b.to);
        return { views: inBucket.length, viewers: new Set(inBucket.map((v) => v.viewerId)).size };
      }),
    );
    const full = body.series.map((b: any) => b.views > 0);
    expect(full.indexOf(false, full.indexOf(true))).toBeLessThan(full.lastIndexOf(true));
    expect(body.views).toBe(inRange.length);

    const bySource = new Map<string, number>();
    for (const v of inRange) bySource.set(v.source, (bySource.get(v.source) ?? 0) + 1);
    expect(body.sources).toEqual(
      [...bySource].map(([source, views]) => ({ source, views })).sort((a, b) => b.views - a.views || (a.source < b.source ? -1 : 1)),
    );

    const byProfile = new Map<string, number>();
    for (const v of inRange) byProfile.set(v.profileId, (byProfile.get(v.profileId) ?? 0) + 1);
    const top = [...byProfile]
      .map(([profileId, views]) => ({ profileId, views }))
      .sort((a, b) => b.views - a.views || (a.profileId < b.profileId ? -1 : 1))
      .slice(0, 10);
    expect(body.topProfiles).toEqual(top);
    // The edge of the top ten falls among profiles with equal views.
    expect(top[9]!.views).toBe([...byProfile.values()].sort((a, b) => b - a)[10]);

    const viewers = new Set(inRange.map((v) => v.viewerId));
    expect(viewers.size).toBeGreaterThan(RANGE_CHUNK * 2);
    expect(byProfile.size).toBeGreaterThan(RANGE_CHUNK * 2);
    expect(body.viewers).toBe(viewers.size);
    const counts: Record<Visibility, number> = { full: 0, characteristics: 0, private: 0 };
    for (const v of viewers) counts[visibility.get(v)!]++;
    for (const v of VISIBILITIES) expect(body.viewerVisibility[v].viewers, v).toBe(counts[v]);
  });

  it('the event loop turns while the store reads the range, counts the viewers and ranks the profiles', async () => {
    const [from, to] = [slotOf(NOW - 30 * DAY), slotOf(NOW) + 1];
    const boundaries = [from, slotOf(NOW - 20 * DAY), slotOf(NOW - 10 * DAY), to];
    const inRange = recorded.filter((v) => slotOf(v.viewedAt) >= from && slotOf(v.viewedAt) < to);
    const turnedDuring = async <T>(call: () => Promise<T>): Promise<T> => {
      let turned = false;
      const running = call();
      setImmediate(() => (turned = true));
      const out = await running;
      expect(turned).toBe(true);
      return out;
    };

    const views = await turnedDuring(() => t.store.insights.workspaceViews(ws, from, to));
    expect(views.reduce((a, r) => a + r.views, 0)).toBe(inRange.length);
    // One entry per (slot, source), in that order, as a GROUP BY slot, source gave them.
    const keys = views.map((r) => `${String(r.slot).padStart(12, '0')} ${r.source}`);
    expect(keys).toEqual([...new Set(keys)].sort());

    const viewers = await turnedDuring(() => t.store.insights.workspaceViewers(ws, boundaries));
    expect(viewers.perBucket).toEqual(
      boundaries.slice(1).map((end, i) => new Set(inRange.filter((v) => slotOf(v.viewedAt) >= boundaries[i]! && slotOf(v.viewedAt) < end).map((v) => v.viewerId)).size),
    );
    const ids = new Set(inRange.map((v) => v.viewerId));
    expect(viewers.viewerIds).toHaveLength(ids.size);
    expect(new Set(viewers.viewerIds)).toEqual(ids);

    // Every id twice, in two chunks: each still counts once. Ids of no member count nowhere.
    const expected = (list: Iterable<string>) => {
      const counts: Record<Visibility, number> = { full: 0, characteristics: 0, private: 0 };
      for (const v of new Set(list)) if (visibility.has(v)) counts[visibility.get(v)!]++;
      return counts;
    };
    const twice = [...viewers.viewerIds, 'nobody', ...viewers.viewerIds];
    expect(await turnedDuring(() => t.store.members.countByVisibility(ws, twice))).toEqual(expected(ids));
    // Two counts at once keep apart; another workspace has none of these members.
    const some = viewers.viewerIds.filter((_, i) => i % 3 !== 0);
    const [a, b, c] = await Promise.all([
      t.store.members.countByVisibility(ws, some),
      t.store.members.countByVisibility(ws, viewers.viewerIds),
      t.store.members.countByVisibility('ins-ws-other', viewers.viewerIds),
    ]);
    expect(a).toEqual(expected(some));
    expect(b).toEqual(expected(ids));
    expect(c).toEqual({ full: 0, characteristics: 0, private: 0 });

    const top = await turnedDuring(() => t.store.insights.topProfiles(ws, from, to, 10));
    expect(top.map((p) => p.profileId)).toEqual(['m5100', 'm0007', 'm4097', 'm0300', 'm2048', 'm5199', 'm4095', 'm4096', 'm0001', 'm3000']);
  });
});
