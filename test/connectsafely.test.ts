/**
 * ConnectSafely's POST /linkedin/profile/visitors in detail (docs/compatibility.md): the
 * account a key reads, timeRange windows under the plan's horizon, count/start/fetchAll/
 * maxVisitors and their echo, connection degrees on a small known graph, relative viewedAt at
 * each unit boundary. Plus what LinkupAPI derives from the same data: cta_action, entity_urn
 * and its pagination arithmetic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type HttpResponse, type TestApp } from './support/test-app.js';
import { auth, expectNativeError, postBatch } from './support/assertions.js';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const TIME_RANGES = ['past_7_days', 'past_30_days', 'past_90_days', 'past_1_year', 'PAST_7_DAYS', 'PAST_30_DAYS', 'PAST_90_DAYS', 'ALL_TIME'];

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

function expectConnectSafelyError(res: HttpResponse, status: number): void {
  expect({ status: res.status, body: res.body }, res.text).toEqual({
    status,
    body: { success: false, error: expect.any(String), code: expect.any(String), message: expect.any(String) },
  });
}

describe.each(BACKENDS)('ConnectSafely visitors and LinkupAPI details on $name', (backend) => {
  let t: TestApp;
  const visitors = (key: string, body: unknown) => t.request('POST', '/linkedin/profile/visitors', { headers: bearer(key), body });
  const getViewers = (key: string, account: string, params?: unknown) =>
    t.request('POST', '/v2/profiles', { headers: auth(key), body: { account_id: account, action: 'get_viewers', ...(params === undefined ? {} : { params }) } });
  const patchSettings = async (key: string, body: unknown) => {
    const res = await t.request('PATCH', '/v1/workspace/settings', { headers: auth(key), body });
    expect(res.status, res.text).toBe(200);
    return res;
  };

  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(() => t?.close());

  describe('which account, paging and the echo of the request (25 visitors)', () => {
    const WS = 'cs';
    let admin: string;
    let meKey: string;
    const ORDER = Array.from({ length: 25 }, (_, i) => `Visitor ${String(i).padStart(2, '0')}`);

    beforeAll(async () => {
      const now = t.clock.now();
      await t.members(WS, [
        { id: 'me', name: 'Me Myself', plan: 'premium' },
        { id: 'other', name: 'Someone Else', plan: 'premium' },
        ...ORDER.map((name, i) => ({ id: `p${String(i).padStart(2, '0')}`, name, company: 'Paging Inc' })),
      ]);
      admin = await t.adminKey(WS);
      meKey = await t.memberKey(WS, 'me');
      await postBatch(
        t,
        admin,
        ORDER.map((_, i) => ({ profileId: 'me', viewerId: `p${String(i).padStart(2, '0')}`, viewedAt: now - (i + 1) * MIN })),
      );
      await postBatch(t, admin, [{ profileId: 'other', viewerId: 'p00', viewedAt: now - MIN }]);
    });

    it('without accountId a member key reads its own member; naming itself is the same; naming another is a 403', async () => {
      const own = await visitors(meKey, {});
      expect(own.status, own.text).toBe(200);
      expect(own.body.accountId).toBe('me');
      expect(own.body.pagination.total).toBe(25);
      const named = await visitors(meKey, { accountId: 'me' });
      expect(named.body.visitors).toEqual(own.body.visitors);
      expectConnectSafelyError(await visitors(meKey, { accountId: 'other' }), 403);
    });

    it('an admin key must name the account: 400 without accountId, 404 for an unknown one', async () => {
      expectConnectSafelyError(await visitors(admin, {}), 400);
      expectConnectSafelyError(await visitors(admin, { maxVisitors: 20 }), 400);
      expectConnectSafelyError(await visitors(admin, { accountId: 'ghost' }), 404);
      const res = await visitors(admin, { accountId: 'other' });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ accountId: 'other', pagination: { total: 1 } });
    });

    it('a POST without a body means every default: 20 visitors, past_90_days, timeRange null', async () => {
      const res = await t.request('POST', '/linkedin/profile/visitors', { headers: bearer(meKey) });
      expect(res.status, res.text).toBe(200);
      expect(res.body.visitors.map((v: any) => v.name)).toEqual(ORDER.slice(0, 20));
      expect(res.body).toMatchObject({
        success: true,
        accountId: 'me',
        pagination: { start: 0, count: 20, total: 25 },
        hasMore: true,
        timeRange: null,
        filters: { timeRange: 'past_90_days', count: 20, start: 0, fetchAll: false, maxVisitors: 20 },
      });
    });

    it('count and start page through the list, newest first, with pagination {start, count, total} and hasMore', async () => {
      const pages = [];
      for (const start of [0, 10, 20]) {
        const res = await visitors(meKey, { count: 10, start, maxVisitors: 100 });
        expect(res.status, res.text).toBe(200);
        expect(res.body.pagination).toEqual({ start, count: 10, total: 25 });
        expect(res.body.hasMore).toBe(start + 10 < 25);
        expect(res.body.filters).toEqual({ timeRange: 'past_90_days', count: 10, start, fetchAll: false, maxVisitors: 100 });
        pages.push(...res.body.visitors.map((v: any) => v.name));
      }
      expect(pages).toEqual(ORDER);
      const beyond = await visitors(meKey, { start: 30 });
      expect(beyond.body).toMatchObject({ visitors: [], hasMore: false, pagination: { start: 30, total: 25 } });
    });

    it('maxVisitors is the total limit (default 20, as real clients omit it): a page never exceeds it', async () => {
      const capped = await visitors(meKey, { count: 50 });
      expect(capped.body.visitors).toHaveLength(20);
      expect(capped.body.filters).toMatchObject({ count: 50, maxVisitors: 20 });
      expect(capped.body.hasMore).toBe(true);
      const wider = await visitors(meKey, { count: 50, maxVisitors: 30 });
      expect(wider.body.visitors.map((v: any) => v.name)).toEqual(ORDER);
      expect(wider.body.hasMore).toBe(false);
      const small = await visitors(meKey, { maxVisitors: 3 });
      expect(small.body.visitors.map((v: any) => v.name)).toEqual(ORDER.slice(0, 3));
      expect(small.body.hasMore).toBe(true);
    });

    it('fetchAll returns up to maxVisitors from start, beyond one page of count', async () => {
      const some = await visitors(meKey, { fetchAll: true, count: 5, start: 2, maxVisitors: 22 });
      expect(some.status, some.text).toBe(200);
      expect(some.body.visitors.map((v: any) => v.name)).toEqual(ORDER.slice(2, 24));
      expect(some.body.hasMore).toBe(true);
      expect(some.body.pagination).toMatchObject({ start: 2, total: 25 });
      expect(some.body.filters).toEqual({ timeRange: 'past_90_days', count: 5, start: 2, fetchAll: true, maxVisitors: 22 });

      const all = await visitors(meKey, { fetchAll: true, count: 5, maxVisitors: 100 });
      expect(all.body.visitors.map((v: any) => v.name)).toEqual(ORDER);
      expect(all.body.hasMore).toBe(false);

      const byDefault = await visitors(meKey, { fetchAll: true, count: 5 });
      expect(byDefault.body.visitors.map((v: any) => v.name)).toEqual(ORDER.slice(0, 20));
      expect(byDefault.body.hasMore).toBe(true);
      expect(byDefault.body.filters.maxVisitors).toBe(20);
    });

    it('LinkupAPI pagination: offset, count = returned, total, has_more, next_offset, total_results', async () => {
      const cases = [
        { params: undefined, offset: 0, returned: 10, hasMore: true },
        { params: { offset: 10 }, offset: 10, returned: 10, hasMore: true },
        { params: { offset: 20, count: 10 }, offset: 20, returned: 5, hasMore: false },
        { params: { offset: 25, count: 10 }, offset: 25, returned: 0, hasMore: false },
        { params: { count: 100 }, offset: 0, returned: 25, hasMore: false },
        { params: { count: 7, offset: 3 }, offset: 3, returned: 7, hasMore: true },
      ];
      for (const c of cases) {
        const res = await getViewers(meKey, 'me', c.params);
        expect(res.status, res.text).toBe(200);
        expect(res.body.data.viewers.map((v: any) => v.title), JSON.stringify(c.params)).toEqual(ORDER.slice(c.offset, c.offset + c.returned));
        expect(res.body.data.total_results).toBe(c.returned);
        expect(res.body.data.pagination, JSON.stringify(c.params)).toEqual({
          offset: c.offset,
          count: c.returned,
          total: 25,
          has_more: c.hasMore,
          next_offset: c.offset + c.returned,
        });
        expect(res.body.metadata).toEqual({ action: 'get_viewers', account_id: 'me', credits_consumed: Math.ceil(c.returned / 10), timestamp: new Date(t.clock.now()).toISOString() });
      }
    });
  });

  describe('timeRange windows, under the plan\'s horizon', () => {
    const WS = 'cs-time';
    let admin: string;
    let premKey: string;
    let freeKey: string;
    const AGES: [string, number][] = [
      ['age 6d23h', 6 * DAY + 23 * HOUR],
      ['age 7d1h', 7 * DAY + HOUR],
      ['age 29d23h', 29 * DAY + 23 * HOUR],
      ['age 30d1h', 30 * DAY + HOUR],
      ['age 89d23h', 89 * DAY + 23 * HOUR],
      ['age 90d1h', 90 * DAY + HOUR],
      ['age 364d', 364 * DAY],
      ['age 366d', 366 * DAY],
    ];
    const names = (n: number) => AGES.slice(0, n).map(([name]) => name);

    beforeAll(async () => {
      admin = await t.adminKey(WS);
      await t.members(WS, [
        { id: 'tp', name: 'Premium Timer', plan: 'premium' },
        { id: 'tf', name: 'Free Timer', plan: 'free' },
        ...AGES.map(([name], i) => ({ id: `a${i}`, name })),
      ]);
      await patchSettings(admin, { retentionDays: 3650, freeFullViewers: 10 });
      premKey = await t.memberKey(WS, 'tp');
      freeKey = await t.memberKey(WS, 'tf');
      await postBatch(
        t,
        admin,
        ['tp', 'tf'].flatMap((owner) => AGES.map(([, age], i) => ({ profileId: owner, viewerId: `a${i}`, viewedAt: t.clock.now() - age }))),
      );
    });

    const premium: [string | undefined, number][] = [
      [undefined, 5],
      ['past_7_days', 1],
      ['PAST_7_DAYS', 1],
      ['past_30_days', 3],
      ['PAST_30_DAYS', 3],
      ['past_90_days', 5],
      ['PAST_90_DAYS', 5],
      ['past_1_year', 7],
      ['ALL_TIME', 7],
    ];
    it.each(premium)('premium owner, timeRange %s: %i visitors; timeRange echoes the request, filters.timeRange is the one applied', async (timeRange, n) => {
      const res = await visitors(premKey, { ...(timeRange ? { timeRange } : {}), maxVisitors: 100, count: 100 });
      expect(res.status, res.text).toBe(200);
      expect(res.body.visitors.map((v: any) => v.name)).toEqual(names(n));
      expect(res.body.pagination.total).toBe(n);
      expect(res.body.timeRange).toBe(timeRange ?? null);
      const applied = res.body.filters.timeRange;
      expect(TIME_RANGES, `filters.timeRange ${JSON.stringify(applied)} must be a value the endpoint accepts`).toContain(applied);
      expect(applied.toLowerCase()).toBe((timeRange ?? 'past_90_days').toLowerCase());
    });

    const free: [string, number][] = [
      ['past_7_days', 1],
      ['past_30_days', 3],
      ['past_90_days', 5],
      ['past_1_year', 5],
      ['ALL_TIME', 5],
    ];
    it.each(free)('free owner, timeRange %s: %i visitors (never beyond 90 days)', async (timeRange, n) => {
      const res = await visitors(freeKey, { timeRange, maxVisitors: 100, count: 100 });
      expect(res.status, res.text).toBe(200);
      expect(res.body.visitors.map((v: any) => v.name)).toEqual(names(n));
      expect(res.body.pagination.total).toBe(n);
    });

    it('ALL_TIME follows premiumHistoryDays when it changes', async () => {
      await patchSettings(admin, { premiumHistoryDays: 400 });
      try {
        const res = await visitors(premKey, { timeRange: 'ALL_TIME', maxVisitors: 100, count: 100 });
        expect(res.body.visitors.map((v: any) => v.name)).toEqual(names(8));
        const year = await visitors(premKey, { timeRange: 'past_1_year', maxVisitors: 100, count: 100 });
        expect(year.body.visitors.map((v: any) => v.name)).toEqual(names(7));
      } finally {
        await patchSettings(admin, { premiumHistoryDays: 365 });
      }
    });
  });

  describe('connection degrees on a small known graph', () => {
    const WS = 'cs-graph';
    let admin: string;
    let ownerKey: string;
    // o - a - b - c - d, o - g - a, e alone; everyone below visited o.
    const EDGES = [['o', 'a'], ['a', 'b'], ['b', 'c'], ['c', 'd'], ['o', 'g'], ['g', 'a']];
    const VISITORS = ['a', 'b', 'c', 'd', 'e', 'g'];

    const degreesByName = async () => {
      const res = await visitors(ownerKey, { maxVisitors: 100 });
      expect(res.status, res.text).toBe(200);
      return Object.fromEntries(res.body.visitors.map((v: any) => [v.name, v.connectionDegree]));
    };
    const ctaByName = async () => {
      const res = await getViewers(ownerKey, 'o', { count: 100 });
      expect(res.status, res.text).toBe(200);
      return Object.fromEntries(res.body.data.viewers.map((v: any) => [v.title, v.cta_action]));
    };

    beforeAll(async () => {
      admin = await t.adminKey(WS);
      await t.members(WS, [
        { id: 'o', name: 'Owner O', plan: 'premium' },
        ...VISITORS.map((id) => ({ id, name: `Member ${id.toUpperCase()}` })),
        { id: 'fo', name: 'Free Owner', plan: 'free' },
        ...[1, 2, 3, 4, 5].map((i) => ({ id: `f${i}`, name: `Filler ${i}` })),
      ]);
      ownerKey = await t.memberKey(WS, 'o');
      for (const [x, y] of [...EDGES, ['fo', 'a']]) {
        const res = await t.request('PUT', `/v1/members/${x}/connections/${y}`, { headers: auth(admin) });
        expect(res.status, res.text).toBe(200);
        expect(res.body).toMatchObject({ connected: true, changed: true });
      }
      const now = t.clock.now();
      await postBatch(t, admin, [
        ...VISITORS.map((v, i) => ({ profileId: 'o', viewerId: v, viewedAt: now - (i + 1) * MIN })),
        ...[1, 2, 3, 4, 5].map((i) => ({ profileId: 'fo', viewerId: `f${i}`, viewedAt: now - i * MIN })),
        { profileId: 'fo', viewerId: 'a', viewedAt: now - 10 * MIN },
      ]);
    });

    it('a connection is 1st (even when also reachable further), a shared connection 2nd, a path of 3 is 3rd, farther or unconnected 3rd+', async () => {
      expect(await degreesByName()).toEqual({ 'Member A': '1st', 'Member B': '2nd', 'Member C': '3rd', 'Member D': '3rd+', 'Member E': '3rd+', 'Member G': '1st' });
      const native = await t.request('GET', '/v1/members/o/visitors?degrees=true', { headers: auth(ownerKey) });
      expect(Object.fromEntries(native.body.viewers.map((v: any) => [v.label, v.degree]))).toEqual({
        'Member A': '1st',
        'Member B': '2nd',
        'Member C': '3rd',
        'Member D': '3rd+',
        'Member E': '3rd+',
        'Member G': '1st',
      });
    });

    it('LinkupAPI cta_action: Message for 1st degree, Connect otherwise', async () => {
      expect(await ctaByName()).toEqual({ 'Member A': 'Message', 'Member B': 'Connect', 'Member C': 'Connect', 'Member D': 'Connect', 'Member E': 'Connect', 'Member G': 'Message' });
    });

    it('a blurred viewer is View on LinkupAPI and shows no degree on ConnectSafely, even when 1st degree', async () => {
      const foKey = await t.memberKey(WS, 'fo');
      const linkup = await getViewers(foKey, 'fo');
      const blurred = linkup.body.data.viewers[5];
      expect(blurred).toMatchObject({ title: 'A member', is_blurred: true, cta_action: 'View', profile_url: null, entity_urn: null });
      expect(linkup.body.data.viewers.slice(0, 5).map((v: any) => v.cta_action)).toEqual(['Connect', 'Connect', 'Connect', 'Connect', 'Connect']);
      const cs = await visitors(foKey, {});
      expect(cs.body.visitors[5]).toMatchObject({ name: 'A member', connectionDegree: null, entityUrn: null });
    });

    it('removing a connection changes the degrees at once', async () => {
      const del = await t.request('DELETE', '/v1/members/a/connections/o', { headers: auth(admin) });
      expect(del.status, del.text).toBe(200);
      expect(del.body).toMatchObject({ connected: false, changed: true });
      try {
        // Now o - g - a - b - c - d.
        expect(await degreesByName()).toEqual({ 'Member A': '2nd', 'Member B': '3rd', 'Member C': '3rd+', 'Member D': '3rd+', 'Member E': '3rd+', 'Member G': '1st' });
        expect((await ctaByName())['Member A']).toBe('Connect');
      } finally {
        await t.request('PUT', '/v1/members/o/connections/a', { headers: auth(admin) });
      }
    });

    it('connections need an admin key and known members', async () => {
      expectNativeError(await t.request('PUT', '/v1/members/o/connections/e', { headers: auth(ownerKey) }), 403);
      const unknown = await t.request('PUT', '/v1/members/o/connections/ghost', { headers: auth(admin) });
      expect(unknown.status, unknown.text).toBeGreaterThanOrEqual(400);
      expect(unknown.status).toBeLessThan(500);
      expect(await degreesByName()).toMatchObject({ 'Member E': '3rd+' });
    });
  });

  describe('relative viewedAt', () => {
    const WS = 'cs-ago';
    let admin: string;
    let ownerKey: string;
    const CASES: [number, string][] = [
      [0, 'Viewed just now'],
      [59 * SEC, 'Viewed just now'],
      [MIN, 'Viewed 1m ago'],
      [47 * MIN, 'Viewed 47m ago'],
      [59 * MIN + 59 * SEC, 'Viewed 59m ago'],
      [HOUR, 'Viewed 1h ago'],
      [3 * HOUR, 'Viewed 3h ago'],
      [23 * HOUR + 59 * MIN, 'Viewed 23h ago'],
      [DAY, 'Viewed 1d ago'],
      [2 * DAY, 'Viewed 2d ago'],
      [6 * DAY + 23 * HOUR, 'Viewed 6d ago'],
      [7 * DAY, 'Viewed 1w ago'],
      [29 * DAY, 'Viewed 4w ago'],
      // "Viewed 5w ago" exists (docs/compatibility.md): weeks go on past 30 days, at least to 5 weeks.
      [30 * DAY, 'Viewed 4w ago'],
      [35 * DAY, 'Viewed 5w ago'],
      [120 * DAY, 'Viewed 4mo ago'],
      [365 * DAY, 'Viewed 1y ago'],
      [800 * DAY, 'Viewed 2y ago'],
    ];

    beforeAll(async () => {
      admin = await t.adminKey(WS);
      await t.members(WS, [{ id: 'owner', name: 'Ago Owner', plan: 'premium' }, ...CASES.map((_, i) => ({ id: `r${i}`, name: `Ago ${i}` }))]);
      await patchSettings(admin, { retentionDays: 3650, premiumHistoryDays: 3650 });
      ownerKey = await t.memberKey(WS, 'owner');
      await postBatch(t, admin, CASES.map(([age], i) => ({ profileId: 'owner', viewerId: `r${i}`, viewedAt: t.clock.now() - age })));
    });

    it('is rendered at each unit boundary through HTTP', async () => {
      const res = await visitors(ownerKey, { timeRange: 'ALL_TIME', count: 100, maxVisitors: 100 });
      expect(res.status, res.text).toBe(200);
      const got = Object.fromEntries(res.body.visitors.map((v: any) => [v.name, v.viewedAt]));
      expect(got).toEqual(Object.fromEntries(CASES.map(([, text], i) => [`Ago ${i}`, text])));
    });

    it('follows the server clock as it moves', async () => {
      const start = t.clock.t;
      try {
        await t.members(WS, [{ id: 'mover-owner', name: 'Mover Owner', plan: 'premium' }, { id: 'mover', name: 'Mover' }]);
        const key = await t.memberKey(WS, 'mover-owner');
        const rec = await t.request('POST', '/v1/visits', { headers: auth(admin), body: { profileId: 'mover-owner', viewerId: 'mover' } });
        expect(rec.status, rec.text).toBe(201);
        const seen: string[] = [];
        for (const step of [0, 47 * MIN, 3 * HOUR - 47 * MIN, 2 * DAY - 3 * HOUR, 120 * DAY - 2 * DAY, 400 * DAY - 120 * DAY]) {
          t.clock.advance(step);
          const res = await visitors(key, { timeRange: 'ALL_TIME' });
          seen.push(res.body.visitors[0].viewedAt);
        }
        expect(seen).toEqual(['Viewed just now', 'Viewed 47m ago', 'Viewed 3h ago', 'Viewed 2d ago', 'Viewed 4mo ago', 'Viewed 1y ago']);
      } finally {
        t.clock.t = start;
      }
    });
  });

  describe('entity URNs', () => {
    const WS = 'cs-urn';
    let admin: string;
    let ownerKey: string;

    beforeAll(async () => {
      admin = await t.adminKey(WS);
      await t.members(WS, [
        { id: 'owner', name: 'Urn Owner', plan: 'premium' },
        { id: 'ACoAA-viewer-1', name: 'Urn Viewer', publicIdentifier: 'urn-viewer', profileUrl: 'https://net.example.com/in/urn-viewer' },
      ]);
      ownerKey = await t.memberKey(WS, 'owner');
      await postBatch(t, admin, [{ profileId: 'owner', viewerId: 'ACoAA-viewer-1', viewedAt: t.clock.now() - MIN }]);
    });

    it('are the workspace prefix (default urn:li:fsd_profile:) plus the member id, on LinkupAPI and ConnectSafely', async () => {
      const linkup = await getViewers(ownerKey, 'owner');
      expect(linkup.body.data.viewers[0]).toMatchObject({ entity_urn: 'urn:li:fsd_profile:ACoAA-viewer-1', profile_url: 'https://net.example.com/in/urn-viewer', is_blurred: false });
      const cs = await visitors(ownerKey, {});
      expect(cs.body.visitors[0]).toMatchObject({ entityUrn: 'urn:li:fsd_profile:ACoAA-viewer-1', publicIdentifier: 'urn-viewer' });
    });

    it('follow the urnPrefix setting when it changes', async () => {
      const patch = await patchSettings(admin, { urnPrefix: 'urn:li:member:' });
      expect(patch.body.settings.urnPrefix).toBe('urn:li:member:');
      const linkup = await getViewers(ownerKey, 'owner');
      expect(linkup.body.data.viewers[0].entity_urn).toBe('urn:li:member:ACoAA-viewer-1');
      const cs = await visitors(ownerKey, {});
      expect(cs.body.visitors[0].entityUrn).toBe('urn:li:member:ACoAA-viewer-1');
    });
  });
});
