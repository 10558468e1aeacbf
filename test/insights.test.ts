/**
 * Insights (docs/insights.md) through real HTTP on both backends, and on both pairings of one
 * backend's entity store with the other's visit store: exact figures against a
 * reference worked out here from the visits the API acknowledged as counted, by a different
 * route (local dates from `toLocaleDateString`, weeks by date arithmetic) over time zones with
 * DST changes inside the range and offsets of 30 and 45 minutes; empty periods; the plan
 * horizon's edges; the privacy rules (planted secrets, the 3-viewer rule, private viewers in
 * totals only); plan and reciprocity refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteBackend, testStoreConfig, STORE_SETUPS } from './support/backends.js';
import { openStores } from '../src/storage/open-store.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth, expectNativeError, postBatch } from './support/assertions.js';
import type { MemberInput } from '../src/core/index.js';

const DAY = 86_400_000;
/** 2026-11-01 12:00 UTC: New York leaves DST this very morning, Paris did a week before. */
const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);

interface Counted {
  profileId: string;
  viewerId: string;
  viewedAt: number;
  source: string;
}

/** Local calendar date of an instant, by a route independent of the service's. */
const localDate = (t: number, tz: string) => {
  const key = `${t}\u0000${tz}`;
  let date = localDates.get(key);
  if (date === undefined) localDates.set(key, (date = new Date(t).toLocaleDateString('en-CA', { timeZone: tz })));
  return date;
};
/** Kept: every case asks again about the same visits in the same few zones. */
const localDates = new Map<string, string>();
const addDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
/** Monday of the week a date is in. */
const mondayOf = (date: string) => addDays(date, -((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7));

interface Reference {
  views: number;
  uniqueViewers: number;
  previous: { views: number; uniqueViewers: number };
  change: { views: number | null; uniqueViewers: number | null };
  series: { date: string; views: number }[];
}

function reference(visits: readonly Counted[], ownerId: string, days: number, granularity: 'day' | 'week', tz: string, leftOut: ReadonlySet<string> = new Set()): Reference {
  const today = localDate(NOW, tz);
  const first = addDays(today, -(days - 1));
  const previousFirst = addDays(first, -days);
  const mine = visits.filter((v) => v.profileId === ownerId && !leftOut.has(v.viewerId)).map((v) => ({ ...v, date: localDate(v.viewedAt, tz) }));
  const current = mine.filter((v) => v.date >= first && v.date <= today);
  const previous = mine.filter((v) => v.date >= previousFirst && v.date < first);
  const dates: string[] = [];
  for (let d = first; d <= today; d = addDays(d, 1)) dates.push(d);
  const bucketOf = (date: string) => (granularity === 'day' ? date : mondayOf(date) < first ? first : mondayOf(date));
  // Counted in one pass (filtering the visits once per bucket took most of this file's time).
  const perBucket = new Map<string, number>();
  for (const v of current) perBucket.set(bucketOf(v.date), (perBucket.get(bucketOf(v.date)) ?? 0) + 1);
  const series = [...new Set(dates.map(bucketOf))].map((date) => ({ date, views: perBucket.get(date) ?? 0 }));
  const pct = (a: number, b: number) => (b === 0 ? null : Math.round(((a - b) / b) * 1000) / 10);
  const uniq = (list: typeof mine) => new Set(list.map((v) => v.viewerId)).size;
  return {
    views: current.length,
    uniqueViewers: uniq(current),
    previous: { views: previous.length, uniqueViewers: uniq(previous) },
    change: { views: pct(current.length, previous.length), uniqueViewers: pct(uniq(current), uniq(previous)) },
    series,
  };
}

/** A deterministic pseudo-random sequence (no seed dependency on Math.random). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SOURCES = ['search', 'feed', 'profile', 'similar_profiles', 'group', 'direct', 'external', 'other'];

/**
 * Each backend, then each pairing of one backend's entity store with the other's visit store
 * (docs/architecture.md): the figures must not depend on whether the two share a database.
 */

describe.each(STORE_SETUPS)('insights on $name', (setup) => {
  let t: TestApp;
  let n = 0;
  beforeAll(async () => {
    const apart = setup.visits !== setup.entities;
    const store = apart ? (await openStores({ ...testStoreConfig(await setup.entities.freshUrl()), visitsDatabaseUrl: await setup.visits.freshUrl() })).store : undefined;
    t = await startTestApp(setup.entities, store ? { store } : {});
    t.clock.t = NOW;
  });
  afterAll(() => t.close());

  /** Records visits in batches and returns those the API says it counted. */
  async function record(admin: string, visits: Counted[]): Promise<Counted[]> {
    const counted: Counted[] = [];
    for (let i = 0; i < visits.length; i += 1000) {
      const chunk = visits.slice(i, i + 1000);
      const res = await postBatch(t, admin, chunk);
      res.results.forEach((r: { status: string }, k: number) => {
        if (r.status === 'recorded') counted.push(chunk[k]!);
      });
    }
    return counted;
  }

  async function insights(key: string, owner: string, query: string) {
    return t.request('GET', `/v1/members/${owner}/insights?${query}`, { headers: auth(key) });
  }

  describe('figures', () => {
    let ws: string;
    let admin: string;
    let counted: Counted[];
    beforeAll(async () => {
      ws = `ins-fig-${++n}`;
      const members: MemberInput[] = [
        { id: 'owner', name: 'Owner', plan: 'premium' },
        { id: 'quiet', name: 'Quiet', plan: 'premium' },
      ];
      for (let i = 0; i < 40; i++) members.push({ id: `v${i}`, name: `Viewer ${i}`, visibility: i % 5 === 0 ? 'private' : 'full' });
      await t.members(ws, members);
      admin = await t.adminKey(ws);
      const rand = rng(42);
      const visits: Counted[] = [];
      // Spread over the last 360 days, denser near the edges that matter: the last two weeks
      // (DST changes, week boundaries) and around local midnights.
      for (let i = 0; i < 2500; i++) {
        const recent = rand() < 0.5;
        let at = NOW - Math.floor(rand() * (recent ? 16 : 360) * DAY);
        if (rand() < 0.3) at = at - (at % 3_600_000) + (rand() < 0.5 ? 0 : 3_600_000 - 1); // on an hour's edges
        if (at > NOW) at = NOW;
        visits.push({ profileId: 'owner', viewerId: `v${Math.floor(rand() * 40)}`, viewedAt: at, source: SOURCES[Math.floor(rand() * SOURCES.length)]! });
      }
      // Visits right at the local midnights that start the 7-day ranges, and 1 ms before.
      for (const tz of ['Europe/Paris', 'America/New_York', 'Asia/Kathmandu']) {
        const first = addDays(localDate(NOW, tz), -6);
        const midnight = startOf(first, tz);
        visits.push({ profileId: 'owner', viewerId: 'v1', viewedAt: midnight, source: 'search' });
        visits.push({ profileId: 'owner', viewerId: 'v2', viewedAt: midnight - 1, source: 'feed' });
      }
      counted = await record(admin, visits);
      expect(counted.length).toBeGreaterThan(1500);
    });

    const cases: [string, string, 'day' | 'week'][] = [];
    for (const tz of ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Kiritimati']) {
      for (const range of ['7d', '30d', '90d', '365d']) for (const g of ['day', 'week'] as const) cases.push([tz, range, g]);
    }

    it.each(cases)('%s, range %s, per %s: totals, previous period, change and series match the raw visits', async (tz, range, granularity) => {
      const res = await insights(admin, 'owner', `range=${range}&granularity=${granularity}&tz=${encodeURIComponent(tz)}`);
      expect(res.status, res.text).toBe(200);
      const ref = reference(counted, 'owner', parseInt(range), granularity, tz);
      expect(res.body).toMatchObject({
        memberId: 'owner',
        range,
        granularity,
        timeZone: tz,
        views: ref.views,
        uniqueViewers: ref.uniqueViewers,
        previous: ref.previous,
        change: ref.change,
        breakdowns: null,
      });
      expect(res.body.series.map((b: any) => ({ date: b.date, views: b.views }))).toEqual(ref.series);
      // Buckets tile the range without gap or overlap, on local midnights.
      const s = res.body.series;
      expect(s[0].from).toBe(res.body.from);
      expect(s.at(-1).to).toBe(res.body.to);
      for (let i = 1; i < s.length; i++) expect(s[i].from).toBe(s[i - 1].to);
      for (const b of s) expect(localDate(b.from, tz)).toBe(b.date);
      expect(res.body.previous.to).toBe(res.body.from);
    });

    it('a day of a DST change is 23 or 25 hours long, and its visits are all in it', async () => {
      const res = await insights(admin, 'owner', 'range=30d&granularity=day&tz=Europe/Paris');
      const lengths = new Map(res.body.series.map((b: any) => [b.date, (b.to - b.from) / 3_600_000]));
      expect(lengths.get('2026-10-25')).toBe(25);
      expect(lengths.get('2026-10-24')).toBe(24);
      const ny = await insights(admin, 'owner', 'range=7d&granularity=day&tz=America/New_York');
      expect(ny.body.series.at(-1)).toMatchObject({ date: '2026-11-01' });
      expect((ny.body.series.at(-1).to - ny.body.series.at(-1).from) / 3_600_000).toBe(25);
    });

    it('a member with no visits gets zeros, a change of null and a zero-filled series', async () => {
      for (const [range, g, buckets] of [
        ['7d', 'day', 7],
        ['30d', 'day', 30],
        ['365d', 'day', 365],
      ] as const) {
        const res = await insights(admin, 'quiet', `range=${range}&granularity=${g}&tz=UTC`);
        expect(res.status, res.text).toBe(200);
        expect(res.body).toMatchObject({ views: 0, uniqueViewers: 0, previous: { views: 0, uniqueViewers: 0 }, change: { views: null, uniqueViewers: null } });
        expect(res.body.series).toHaveLength(buckets);
        expect(res.body.series.every((b: any) => b.views === 0)).toBe(true);
      }
      const weeks = await insights(admin, 'quiet', 'range=30d&granularity=week&tz=UTC');
      // 2026-10-03 (a Saturday) to 2026-11-01 (a Sunday): a clipped first week and four whole ones.
      expect(weeks.body.series.map((b: any) => b.date)).toEqual(['2026-10-03', '2026-10-05', '2026-10-12', '2026-10-19', '2026-10-26']);
    });

    it('the workspace: views and distinct viewers per bucket, sources, top profiles, visibility shares', async () => {
      const res = await t.request('GET', '/v1/insights?range=30d&granularity=week&tz=America/New_York', { headers: auth(admin) });
      expect(res.status, res.text).toBe(200);
      const tz = 'America/New_York';
      const today = localDate(NOW, tz);
      const first = addDays(today, -29);
      const inRange = counted.filter((v) => localDate(v.viewedAt, tz) >= first);
      expect(res.body.views).toBe(inRange.length);
      expect(res.body.viewers).toBe(new Set(inRange.map((v) => v.viewerId)).size);
      for (const b of res.body.series) {
        const inBucket = inRange.filter((v) => v.viewedAt >= b.from && v.viewedAt < b.to);
        expect({ views: b.views, viewers: b.viewers }).toEqual({ views: inBucket.length, viewers: new Set(inBucket.map((v) => v.viewerId)).size });
      }
      expect(res.body.topProfiles).toEqual([{ profileId: 'owner', views: inRange.length }]);
      const bySource = new Map<string, number>();
      for (const v of inRange) bySource.set(v.source, (bySource.get(v.source) ?? 0) + 1);
      expect(Object.fromEntries(res.body.sources.map((s: any) => [s.source, s.views]))).toEqual(Object.fromEntries(bySource));
      const privateViewers = new Set(inRange.filter((v) => Number(v.viewerId.slice(1)) % 5 === 0).map((v) => v.viewerId)).size;
      expect(res.body.viewerVisibility.private.viewers).toBe(privateViewers);
      expect(res.body.viewerVisibility.private.share).toBeCloseTo(privateViewers / res.body.viewers, 3);
      // No viewer is named.
      expect(res.text).not.toMatch(/"v\d+"/);
    });
  });

  /** The first instant of a local date, found by search (test side, independent of the service). */
  function startOf(date: string, tz: string): number {
    let lo = Date.parse(`${date}T00:00:00Z`) - 15 * 3_600_000;
    let hi = lo + 30 * 3_600_000;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (localDate(mid, tz) >= date) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  // A store that can tell when a profile's figures change keeps them (docs/insights.md, "Cost"):
  // every change they are computed from shows in the very next read, as if nothing were kept.
  describe('figures read again after each change', () => {
    let ws: string;
    let admin: string;
    const q = 'range=30d&tz=UTC&breakdowns=true';
    beforeAll(async () => {
      ws = `ins-kept-${++n}`;
      const members: MemberInput[] = [{ id: 'owner', name: 'Owner', plan: 'premium' }];
      for (let i = 0; i < 4; i++) members.push({ id: `a${i}`, name: `A ${i}`, company: 'Acme', title: 'Engineer', industry: 'Software', location: 'Paris' });
      for (let i = 0; i < 3; i++) members.push({ id: `b${i}`, name: `B ${i}`, company: 'Beta', title: 'Designer', industry: 'Design', location: 'Lyon' });
      members.push({ id: 'late', name: 'Late', company: 'Acme', title: 'Engineer', industry: 'Software', location: 'Paris' });
      await t.members(ws, members);
      admin = await t.adminKey(ws);
      const visits = members.filter((m) => m.id !== 'owner' && m.id !== 'late').map((m, i) => ({ profileId: 'owner', viewerId: m.id, viewedAt: NOW - (i + 1) * 3_600_000, source: 'search' }));
      await record(admin, visits);
    });

    it('a new visit, a changed card, a new connection and a block each show in the next read', async () => {
      const first = (await insights(admin, 'owner', q)).body;
      expect([first.views, first.uniqueViewers]).toEqual([7, 7]);
      expect(first.breakdowns.companies).toEqual({ buckets: [{ value: 'Acme', viewers: 4 }, { value: 'Beta', viewers: 3 }], other: 0 });
      expect((await insights(admin, 'owner', q)).body).toEqual(first);

      await record(admin, [{ profileId: 'owner', viewerId: 'late', viewedAt: NOW - 60_000, source: 'feed' }]);
      const visited = (await insights(admin, 'owner', q)).body;
      expect([visited.views, visited.uniqueViewers]).toEqual([8, 8]);
      expect(visited.series.at(-1).views).toBe(first.series.at(-1).views + 1);
      expect(visited.breakdowns.companies.buckets[0]).toEqual({ value: 'Acme', viewers: 5 });

      await t.members(ws, [{ id: 'b0', name: 'B 0', company: 'Acme', title: 'Designer', industry: 'Design', location: 'Lyon' }]);
      const moved = (await insights(admin, 'owner', q)).body;
      expect(moved.breakdowns.companies).toEqual({ buckets: [{ value: 'Acme', viewers: 6 }], other: 2 });
      expect(moved.views).toBe(8);

      expect((await t.request('PUT', '/v1/members/owner/connections/a0', { headers: auth(admin) })).status).toBe(200);
      const connected = (await insights(admin, 'owner', q)).body;
      expect(connected.breakdowns.degrees).toEqual({ buckets: [{ value: '3rd+', viewers: 7 }], other: 1 });

      expect((await t.request('PUT', '/v1/members/owner/blocks/a1', { headers: auth(admin) })).status).toBe(200);
      const blocked = (await insights(admin, 'owner', q)).body;
      expect([blocked.views, blocked.uniqueViewers]).toEqual([7, 7]);
      expect(blocked.breakdowns.companies).toEqual({ buckets: [{ value: 'Acme', viewers: 5 }], other: 2 });
      expect((await t.request('DELETE', '/v1/members/owner/blocks/a1', { headers: auth(admin) })).status).toBe(200);
      expect((await insights(admin, 'owner', q)).body).toEqual(connected);
    });
  });

  describe('degrees of many viewers', () => {
    it('the degrees breakdown counts each viewer at the degree the visitor list gives them', async () => {
      const ws = `ins-deg-${++n}`;
      // Three of each: connected to the owner (1st), to x0 (2nd), to y0 (3rd), to no one (3rd+).
      const ids = ['x', 'y', 'z', 'w'].flatMap((p) => [0, 1, 2].map((i) => `${p}${i}`));
      await t.members(ws, [{ id: 'owner', name: 'Owner', plan: 'premium' }, ...ids.map((id) => ({ id, name: id.toUpperCase() }))]);
      const admin = await t.adminKey(ws);
      const links: [string, string][] = [
        ...[0, 1, 2].map((i): [string, string] => ['owner', `x${i}`]),
        ...[0, 1, 2].map((i): [string, string] => ['x0', `y${i}`]),
        ...[0, 1, 2].map((i): [string, string] => ['y0', `z${i}`]),
      ];
      for (const [a, b] of links) expect((await t.request('PUT', `/v1/members/${a}/connections/${b}`, { headers: auth(admin) })).status).toBe(200);
      await record(admin, ids.map((id, i) => ({ profileId: 'owner', viewerId: id, viewedAt: NOW - (i + 1) * 60_000, source: 'search' })));
      const list = await t.request('GET', '/v1/members/owner/visitors?limit=50&degrees=true', { headers: auth(admin) });
      expect(list.status, list.text).toBe(200);
      const perDegree = new Map<string, number>();
      for (const v of list.body.viewers) perDegree.set(v.degree, (perDegree.get(v.degree) ?? 0) + 1);
      expect(Object.fromEntries(perDegree)).toEqual({ '1st': 3, '2nd': 3, '3rd': 3, '3rd+': 3 });
      const res = await insights(admin, 'owner', 'range=7d&tz=UTC&breakdowns=true');
      expect(res.body.breakdowns.degrees).toEqual({
        buckets: ['1st', '2nd', '3rd', '3rd+'].map((value) => ({ value, viewers: 3 })),
        other: 0,
      });
    });
  });

  describe('privacy', () => {
    let ws: string;
    let admin: string;
    const SECRET = 'zz-secret';
    beforeAll(async () => {
      ws = `ins-priv-${++n}`;
      const members: MemberInput[] = [
        { id: 'owner', name: 'Owner', plan: 'premium' },
        { id: 'free', name: 'Free Owner', plan: 'free' },
        { id: 'sneaky', name: 'Sneaky', plan: 'free', visibility: 'private' },
      ];
      // Five in full at Acme (Engineers, search); two in full at SmallCo (under the threshold);
      // three by characteristics at Globex (with a secret title); three private at Acme and
      // Hidden Corp with secrets everywhere.
      for (let i = 0; i < 5; i++) members.push({ id: `acme${i}`, name: `Acme ${i}`, company: 'Acme', title: 'Engineer', industry: 'Software', location: 'Paris' });
      for (let i = 0; i < 2; i++) members.push({ id: `small${i}`, name: `Small ${i}`, company: 'SmallCo', title: 'Engineer', industry: 'Software', location: 'Paris' });
      for (let i = 0; i < 3; i++) {
        members.push({ id: `globex${i}`, name: `${SECRET}-name-g${i}`, headline: `${SECRET}-headline`, company: 'Globex', title: `${SECRET}-title`, industry: 'Energy', location: 'Lyon', visibility: 'characteristics' });
      }
      for (let i = 0; i < 3; i++) {
        members.push({
          id: `${SECRET}-id-p${i}`,
          name: `${SECRET}-name-p${i}`,
          headline: `${SECRET}-headline`,
          company: i === 0 ? 'Acme' : `${SECRET}-Hidden Corp`,
          title: `${SECRET}-title`,
          industry: `${SECRET}-industry`,
          location: `${SECRET}-location`,
          visibility: 'private',
        });
      }
      await t.members(ws, members);
      admin = await t.adminKey(ws);
      const visits: Counted[] = [];
      const viewers = members.filter((m) => !['owner', 'free', 'sneaky'].includes(m.id)).map((m) => m.id);
      viewers.forEach((v, i) => {
        visits.push({ profileId: 'owner', viewerId: v, viewedAt: NOW - (i + 1) * 3_600_000, source: v.startsWith('acme') ? 'search' : 'feed' });
        visits.push({ profileId: 'free', viewerId: v, viewedAt: NOW - (i + 1) * 3_600_000, source: 'feed' });
      });
      await record(admin, visits);
    });

    it('breakdowns: private viewers in totals only, characteristics viewers in company, industry and location only, buckets of 3 or more, no secret anywhere', async () => {
      const res = await insights(admin, 'owner', 'range=7d&tz=UTC&breakdowns=true');
      expect(res.status, res.text).toBe(200);
      expect(res.body.views).toBe(13);
      expect(res.body.uniqueViewers).toBe(13);
      const b = res.body.breakdowns;
      // The private viewer at Acme does not count: 5, not 6. SmallCo (2) goes to "other".
      expect(b.companies).toEqual({ buckets: [{ value: 'Acme', viewers: 5 }, { value: 'Globex', viewers: 3 }], other: 2 });
      expect(b.titles).toEqual({ buckets: [{ value: 'Engineer', viewers: 7 }], other: 0 });
      expect(b.industries).toEqual({ buckets: [{ value: 'Software', viewers: 7 }, { value: 'Energy', viewers: 3 }], other: 0 });
      expect(b.locations).toEqual({ buckets: [{ value: 'Paris', viewers: 7 }, { value: 'Lyon', viewers: 3 }], other: 0 });
      // Sources and degrees: viewers in full only (7: five by search, two by feed under the threshold).
      expect(b.sources).toEqual({ buckets: [{ value: 'search', viewers: 5 }], other: 2 });
      expect(b.degrees).toEqual({ buckets: [{ value: '3rd+', viewers: 7 }], other: 0 });
      expect(res.text).not.toContain(SECRET);
      expect(res.text).not.toMatch(/acme\d|small\d|globex\d/);
    });

    it('adding a private viewer changes the totals and no breakdown', async () => {
      const before = await insights(admin, 'owner', 'range=30d&tz=UTC&breakdowns=true');
      await t.members(ws, [{ id: 'lurker', name: `${SECRET}-lurker`, company: 'Acme', title: 'Engineer', industry: 'Software', location: 'Paris', visibility: 'private' }]);
      await record(admin, [{ profileId: 'owner', viewerId: 'lurker', viewedAt: NOW - 60_000, source: 'search' }]);
      const after = await insights(admin, 'owner', 'range=30d&tz=UTC&breakdowns=true');
      expect(after.body.views).toBe(before.body.views + 1);
      expect(after.body.uniqueViewers).toBe(before.body.uniqueViewers + 1);
      expect(after.body.breakdowns).toEqual(before.body.breakdowns);
      expect(after.text).not.toContain(SECRET);
    });

    it('a viewer who turns private leaves the breakdowns at once (cards are read as they are now)', async () => {
      await t.members(ws, [{ id: 'acme4', name: 'Acme 4', company: 'Acme', title: 'Engineer', industry: 'Software', location: 'Paris', visibility: 'private' }]);
      const res = await insights(admin, 'owner', 'range=7d&tz=UTC&breakdowns=true');
      expect(res.body.breakdowns.companies.buckets[0]).toEqual({ value: 'Acme', viewers: 4 });
      await t.members(ws, [{ id: 'acme4', name: 'Acme 4', company: 'Acme', title: 'Engineer', industry: 'Software', location: 'Paris' }]);
    });

    it('blocked and erased viewers count nowhere', async () => {
      const before = await insights(admin, 'owner', 'range=7d&tz=UTC&breakdowns=true');
      const block = await t.request('PUT', '/v1/members/owner/blocks/acme0', { headers: auth(admin) });
      expect(block.status, block.text).toBe(200);
      const blocked = await insights(admin, 'owner', 'range=7d&tz=UTC&breakdowns=true');
      expect(blocked.body.views).toBe(before.body.views - 1);
      expect(blocked.body.uniqueViewers).toBe(before.body.uniqueViewers - 1);
      expect(blocked.body.breakdowns.companies.buckets[0]).toEqual({ value: 'Acme', viewers: 4 });
      await t.request('DELETE', '/v1/members/owner/blocks/acme0', { headers: auth(admin) });
      expect((await insights(admin, 'owner', 'range=7d&tz=UTC')).body.views).toBe(before.body.views);

      const erase = await t.request('DELETE', '/v1/members/acme1', { headers: auth(admin) });
      expect(erase.status, erase.text).toBe(204);
      const erased = await insights(admin, 'owner', 'range=7d&tz=UTC&breakdowns=true');
      expect(erased.body.views).toBe(before.body.views - 1);
      expect(erased.body.uniqueViewers).toBe(before.body.uniqueViewers - 1);
      expect(erased.body.breakdowns.companies.buckets[0]).toEqual({ value: 'Acme', viewers: 4 });
      const workspace = await t.request('GET', '/v1/insights?range=7d&tz=UTC', { headers: auth(admin) });
      const ownerRow = workspace.body.topProfiles.find((p: any) => p.profileId === 'owner');
      expect(ownerRow.views).toBe(before.body.views - 1);
    });

    it('plans: a free member gets totals within 90 days; breakdowns and longer ranges are refused with 403 naming premium', async () => {
      const key = await t.memberKey(ws, 'free');
      const ok = await insights(key, 'free', 'range=90d&tz=UTC');
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body.views).toBeGreaterThan(0);
      const breakdowns = await insights(key, 'free', 'range=7d&tz=UTC&breakdowns=true');
      expectNativeError(breakdowns, 403, /premium/);
      const year = await insights(key, 'free', 'range=365d&tz=UTC');
      expectNativeError(year, 403, /premium plan \(365 days\)/);
      // Premium's own limit is a workspace setting: beyond it, no plan allows the range.
      const premium = await insights(admin, 'owner', 'range=365d&tz=UTC');
      expect(premium.status).toBe(200);
    });

    it('reciprocity: a free member browsing privately gets 403', async () => {
      const key = await t.memberKey(ws, 'sneaky');
      const res = await insights(key, 'sneaky', 'range=7d&tz=UTC');
      expectNativeError(res, 403, /private/);
    });

    it('access: the member or an admin; the workspace view is for admins; bad input is a 400', async () => {
      const key = await t.memberKey(ws, 'free');
      expectNativeError(await insights(key, 'owner', 'range=7d'), 403);
      expectNativeError(await t.request('GET', '/v1/insights?range=7d', { headers: auth(key) }), 403);
      expectNativeError(await insights(admin, 'owner', 'range=8d'), 400);
      expectNativeError(await insights(admin, 'owner', 'range=7d&granularity=month'), 400);
      expectNativeError(await insights(admin, 'owner', 'range=7d&tz=Mars/Olympus'), 400, /tz/);
      expectNativeError(await insights(admin, 'nobody', 'range=7d'), 404);
      const defaults = await insights(admin, 'owner', '');
      expect(defaults.body).toMatchObject({ range: '30d', granularity: 'day', timeZone: 'UTC' });
    });
  });
});

// Two servers on one SQLite file (as with WORKERS > 1): what one keeps must not outlive a change
// the other makes, to the projection (its version) or to the members (the main file's epoch).
describe('insights kept by one server, changes made through another on the same SQLite file', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp(sqliteBackend);
    a.clock.t = NOW;
    b = await startTestApp(sqliteBackend, { databaseUrl: a.databaseUrl, clock: a.clock });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('the other server\'s visit and card change show in the next read', async () => {
    const ws = 'ins-two';
    const members: MemberInput[] = [{ id: 'owner', name: 'Owner', plan: 'premium' }];
    for (let i = 0; i < 4; i++) members.push({ id: `v${i}`, name: `V ${i}`, company: 'Acme' });
    await a.members(ws, members);
    const admin = await a.adminKey(ws);
    const q = '/v1/members/owner/insights?range=7d&tz=UTC&breakdowns=true';
    const read = async (t: TestApp) => (await t.request('GET', q, { headers: auth(admin) })).body;
    const visit = (viewerId: string, ago: number) => ({ profileId: 'owner', viewerId, viewedAt: NOW - ago, source: 'search' });
    await postBatch(a, admin, [visit('v0', 3_600_000), visit('v1', 7_200_000), visit('v2', 10_800_000)]);
    const first = await read(a);
    expect([first.views, first.breakdowns.companies]).toEqual([3, { buckets: [{ value: 'Acme', viewers: 3 }], other: 0 }]);

    // The other server records a visit and reads (so it, not the first, applies it to the projection).
    await postBatch(b, admin, [visit('v3', 60_000)]);
    expect((await read(b)).views).toBe(4);
    const after = await read(a);
    expect([after.views, after.uniqueViewers, after.breakdowns.companies.buckets]).toEqual([4, 4, [{ value: 'Acme', viewers: 4 }]]);

    await b.members(ws, [{ id: 'v3', name: 'V 3', company: 'Beta' }]);
    expect((await read(a)).breakdowns.companies).toEqual({ buckets: [{ value: 'Acme', viewers: 3 }], other: 1 });
  });
});

