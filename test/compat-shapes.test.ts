/**
 * Compatibility of the three drop-in APIs with their documentation (docs/compatibility.md):
 * the shape of each API's documented sample response (field names, JSON types, nesting, nulls)
 * is derived and our real responses, with visible and blurred viewers, are checked against it;
 * then each documented error status and body, rate limiting included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberInput } from '../src/core/index.js';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type HttpResponse, type TestApp } from './support/test-app.js';
import { auth, expectNetworkedError, postBatch } from './support/assertions.js';
import {
  CONNECTSAFELY_ERROR_SAMPLES,
  CONNECTSAFELY_VISITORS_SAMPLE,
  LINKUP_VIEWERS_SAMPLE,
  NETWORKED_VISITS_SAMPLE,
} from './fixtures/seed-samples.js';
import { shapeMismatches, shapeOf, type ShapeCheckOptions } from './fixtures/shape.js';

const MIN = 60_000;
const WS = 'compat';

const viewer = (i: number): MemberInput => ({
  id: `cv${i}`,
  name: `Compat Viewer ${i}`,
  headline: `Engineer ${i}`,
  imageUrl: `https://img.example.com/cv${i}.png`,
  company: `Company ${i}`,
  industry: `Industry ${i}`,
  location: `City ${i}`,
  publicIdentifier: `compat-viewer-${i}`,
  profileUrl: `https://net.example.com/in/compat-viewer-${i}`,
});
const VIEWERS = [1, 2, 3, 4, 5, 6, 7].map(viewer);
/** The free owner sees the first five in full; the last two are blurred. */
const VISIBLE_NAMES = new Set(VIEWERS.map((v) => v.name!));

const networkedGet = (t: TestApp, key: string | undefined, query: string) =>
  t.request('GET', `/api/v1/profile/visits${query}`, { headers: key === undefined ? {} : auth(key) });
const linkupPost = (t: TestApp, key: string | undefined, body: unknown) =>
  t.request('POST', '/v2/profiles', { headers: key === undefined ? {} : auth(key), body });
const csPost = (t: TestApp, headers: Record<string, string>, body: unknown) => t.request('POST', '/linkedin/profile/visitors', { headers, body });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** LinkupAPI's error envelope, exactly, with nothing charged. */
function expectLinkupError(t: TestApp, res: HttpResponse, status: number, code: string, action: string | null): void {
  expect({ status: res.status, body: res.body }, res.text).toEqual({
    status,
    body: {
      success: false,
      error: { code, message: expect.any(String) },
      metadata: { action, credits_consumed: 0, timestamp: new Date(t.clock.now()).toISOString() },
    },
  });
  expect(res.body.error.message.length).toBeGreaterThan(3);
}

/**
 * LinkupAPI's error envelope for errors raised before the body is read (bad key, rate limit):
 * `metadata.action` may not be known yet, so it is the requested action or null.
 */
function expectLinkupEarlyError(t: TestApp, res: HttpResponse, status: number, code: string): void {
  const action = res.body?.metadata?.action;
  expect(action === null || action === 'get_viewers', `metadata.action ${JSON.stringify(action)}`).toBe(true);
  expectLinkupError(t, res, status, code, action);
}

/** ConnectSafely's error body: both documented shapes at once, `{success: false, error, code, message}`. */
function expectConnectSafelyError(res: HttpResponse, status: number, text?: string): void {
  expect({ status: res.status, body: res.body }, res.text).toEqual({
    status,
    body: { success: false, error: text ?? expect.any(String), code: expect.any(String), message: text ?? expect.any(String) },
  });
  expect(res.body.message).toBe(res.body.error);
  expect(res.body.message.length).toBeGreaterThan(3);
}

describe('the shape checker itself', () => {
  it('accepts each seed sample against its own shape', () => {
    expect(shapeMismatches(shapeOf(NETWORKED_VISITS_SAMPLE), NETWORKED_VISITS_SAMPLE)).toEqual([]);
    expect(
      shapeMismatches(shapeOf(LINKUP_VIEWERS_SAMPLE), LINKUP_VIEWERS_SAMPLE, {
        element: (_p, el: any) => ({ sampleIndex: el.is_blurred ? 0 : 1, hidden: false }),
      }),
    ).toEqual([]);
    expect(shapeMismatches(shapeOf(CONNECTSAFELY_VISITORS_SAMPLE), CONNECTSAFELY_VISITORS_SAMPLE)).toEqual([]);
  });

  it('reports a missing field, a changed type, a value where the sample has null, and a wrong element', () => {
    const shape = shapeOf(LINKUP_VIEWERS_SAMPLE);
    const opts: ShapeCheckOptions = { element: (_p, el: any) => ({ sampleIndex: el.is_blurred ? 0 : 1, hidden: false }) };
    const copy = () => JSON.parse(JSON.stringify(LINKUP_VIEWERS_SAMPLE));
    const missing = copy();
    delete missing.data.pagination.next_offset;
    expect(shapeMismatches(shape, missing, opts)).toEqual([expect.stringContaining('data.pagination.next_offset: missing')]);
    const retyped = copy();
    retyped.data.total_results = '2';
    expect(shapeMismatches(shape, retyped, opts)).toEqual([expect.stringContaining('data.total_results')]);
    const notNull = copy();
    notNull.data.viewers[0].profile_url = 'https://leak.example.com';
    expect(shapeMismatches(shape, notNull, opts)).toEqual([expect.stringContaining('data.viewers[0].profile_url')]);
    const nulled = copy();
    nulled.data.viewers[1].entity_urn = null;
    expect(shapeMismatches(shape, nulled, opts)).toEqual([expect.stringContaining('data.viewers[1].entity_urn')]);
    // A hidden viewer may have null where the sample has a string, but not a number.
    const cs = shapeOf(CONNECTSAFELY_VISITORS_SAMPLE);
    const hiddenOpts: ShapeCheckOptions = { element: () => ({ sampleIndex: 0, hidden: true }) };
    const h = JSON.parse(JSON.stringify(CONNECTSAFELY_VISITORS_SAMPLE));
    h.visitors[0].headline = null;
    expect(shapeMismatches(cs, h, hiddenOpts)).toEqual([]);
    h.visitors[0].headline = 3;
    expect(shapeMismatches(cs, h, hiddenOpts)).toEqual([expect.stringContaining('visitors[0].headline')]);
  });
});

describe.each(BACKENDS)('compatible APIs against their documented samples on $name', (backend) => {
  let t: TestApp;
  let admin: string;
  let premKey: string;
  let freeKey: string;
  let privKey: string;
  let brokeKey: string;

  beforeAll(async () => {
    t = await startTestApp(backend);
    const now = t.clock.now();
    await t.members(WS, [
      { id: 'prem', name: 'Premium Owner', plan: 'premium' },
      { id: 'free', name: 'Free Owner', plan: 'free' },
      { id: 'priv', name: 'Private Free Owner', plan: 'free', visibility: 'private' },
      { id: 'nobody', name: 'No Visitors', plan: 'premium' },
      ...VIEWERS,
    ]);
    admin = await t.adminKey(WS);
    premKey = await t.memberKey(WS, 'prem');
    freeKey = await t.memberKey(WS, 'free');
    privKey = await t.memberKey(WS, 'priv');
    brokeKey = await t.memberKey(WS, 'prem', 0);
    await postBatch(t, admin, [
      ...VIEWERS.slice(0, 3).map((v, i) => ({ profileId: 'prem', viewerId: v.id, viewedAt: now - (i + 1) * 47 * MIN, source: 'search' })),
      ...VIEWERS.map((v, i) => ({ profileId: 'free', viewerId: v.id, viewedAt: now - (i + 1) * MIN, source: 'feed' })),
      { profileId: 'priv', viewerId: 'cv1', viewedAt: now - MIN },
    ]);
    // One 1st-degree and one 2nd-degree viewer, as in the ConnectSafely sample.
    for (const [a, b] of [['prem', 'cv1'], ['cv1', 'cv2']]) {
      const res = await t.request('PUT', `/v1/members/${a}/connections/${b}`, { headers: auth(admin) });
      expect(res.status, res.text).toBe(200);
    }
  });
  afterAll(() => t?.close());

  describe('Networked', () => {
    const shape = shapeOf(NETWORKED_VISITS_SAMPLE);
    // The sample's `nextStart` is false (no more records); docs/compatibility.md makes it the next start when more remain.
    const opts: ShapeCheckOptions = { alsoAllowed: { 'data.nextStart': ['number'] } };

    it('visible and blurred viewers both have every field of the sample, with its types (hidden fields are empty strings)', async () => {
      let visible = 0;
      let blurred = 0;
      for (const [key, query] of [[premKey, '?start=0&count=10'], [freeKey, '?start=0&count=10'], [freeKey, '?start=0&count=3'], [admin, '?start=5&count=10&userId=free']] as const) {
        const res = await networkedGet(t, key, query);
        expect(res.status, res.text).toBe(200);
        expect(shapeMismatches(shape, res.body, opts), res.text).toEqual([]);
        for (const c of res.body.data.content) (VISIBLE_NAMES.has(c.name) ? visible++ : blurred++);
      }
      expect(visible).toBeGreaterThan(0);
      expect(blurred).toBeGreaterThan(0);
    });

    it('nextStart is false when no more records remain, as in the sample, and a number otherwise', async () => {
      const last = await networkedGet(t, premKey, '?start=0&count=10');
      expect(last.body.data).toMatchObject({ start: 0, count: 3, nextStart: false });
      const more = await networkedGet(t, freeKey, '?start=0&count=3');
      expect(more.body.data).toMatchObject({ start: 0, count: 3, nextStart: 3 });
      expect(more.body).toMatchObject({ error: false, message: 'Success' });
    });

    it('400 without start or count, or with a bad value', async () => {
      for (const q of ['?count=10', '?start=0', '', '?start=-1&count=10', '?start=0&count=0', '?start=zero&count=10']) {
        expectNetworkedError(await networkedGet(t, premKey, q), 400);
      }
    });

    it('401 without a key or with an unknown key', async () => {
      expectNetworkedError(await networkedGet(t, undefined, '?start=0&count=10'), 401);
      expectNetworkedError(await networkedGet(t, 'pv_member_not-a-real-key', '?start=0&count=10'), 401);
    });

    it('403 for a free member in private mode, and for a member key naming someone else', async () => {
      expectNetworkedError(await networkedGet(t, privKey, '?start=0&count=10'), 403);
      expectNetworkedError(await networkedGet(t, freeKey, '?start=0&count=10&userId=prem'), 403);
    });

    it('404 for an unknown member', async () => {
      expectNetworkedError(await networkedGet(t, admin, '?start=0&count=10&userId=ghost'), 404);
    });
  });

  describe('LinkupAPI', () => {
    const shape = shapeOf(LINKUP_VIEWERS_SAMPLE);
    // Each of our viewers is compared with the sample's blurred viewer (index 0) or its visible one (index 1).
    const opts: ShapeCheckOptions = {
      element: (path, el: any) => (path === 'data.viewers' ? { sampleIndex: VISIBLE_NAMES.has(el.title) ? 1 : 0, hidden: false } : { sampleIndex: 0, hidden: false }),
    };
    const getViewers = (account: string, params?: unknown) => ({ account_id: account, action: 'get_viewers', ...(params === undefined ? {} : { params }) });

    it('visible and blurred viewers both match the sample field for field (nulls included)', async () => {
      let visible = 0;
      let blurred = 0;
      for (const [key, body] of [
        [premKey, getViewers('prem')],
        [freeKey, getViewers('free', { count: 10, offset: 0 })],
        [admin, getViewers('free', { count: 2, offset: 4 })],
      ] as const) {
        const res = await linkupPost(t, key, body);
        expect(res.status, res.text).toBe(200);
        expect(shapeMismatches(shape, res.body, opts), res.text).toEqual([]);
        for (const v of res.body.data.viewers) {
          expect(v.is_blurred, v.title).toBe(!VISIBLE_NAMES.has(v.title));
          if (v.is_blurred) blurred++;
          else visible++;
        }
      }
      expect(visible).toBeGreaterThan(0);
      expect(blurred).toBeGreaterThan(0);
    });

    it('a blurred viewer reads like the sample\'s: "Someone at ...", View, an image URL string, no profile URL or URN', async () => {
      const res = await linkupPost(t, freeKey, getViewers('free', { count: 1, offset: 5 }));
      expect(res.body.data.viewers).toEqual([
        { title: 'Someone at Company 6', image_url: expect.any(String), is_blurred: true, cta_action: 'View', profile_url: null, entity_urn: null },
      ]);
      expect(res.body.data.viewers[0].image_url).not.toBe(VIEWERS[5]!.imageUrl);
      expect(res.body.metadata).toEqual({ action: 'get_viewers', account_id: 'free', credits_consumed: 1, timestamp: new Date(t.clock.now()).toISOString() });
    });

    it('INVALID_API_KEY is a 403, without a key or with an unknown one', async () => {
      expectLinkupEarlyError(t, await linkupPost(t, undefined, getViewers('prem')), 403, 'INVALID_API_KEY');
      expectLinkupEarlyError(t, await linkupPost(t, 'pv_admin_not-a-real-key', getViewers('prem')), 403, 'INVALID_API_KEY');
    });

    it('INVALID_ACCOUNT is a 404 for an unknown account', async () => {
      expectLinkupError(t, await linkupPost(t, admin, getViewers('ghost')), 404, 'INVALID_ACCOUNT', 'get_viewers');
    });

    it('ACCOUNT_INACTIVE is a 403 for a free member in private mode', async () => {
      expectLinkupError(t, await linkupPost(t, privKey, getViewers('priv')), 403, 'ACCOUNT_INACTIVE', 'get_viewers');
      expectLinkupError(t, await linkupPost(t, admin, getViewers('priv')), 403, 'ACCOUNT_INACTIVE', 'get_viewers');
    });

    it('INVALID_ACTION is a 400 for any action but get_viewers', async () => {
      expectLinkupError(t, await linkupPost(t, premKey, { account_id: 'prem', action: 'get_posts' }), 400, 'INVALID_ACTION', 'get_posts');
      expectLinkupError(t, await linkupPost(t, premKey, { account_id: 'prem', action: '' }), 400, 'INVALID_ACTION', '');
    });

    it('INVALID_PARAMS is a 400 for count 101 or 0, offset -1, a missing account_id or action', async () => {
      for (const body of [
        getViewers('prem', { count: 101 }),
        getViewers('prem', { count: 0 }),
        getViewers('prem', { offset: -1 }),
        getViewers('prem', { count: 'ten' }),
        { action: 'get_viewers', params: { count: 10 } },
      ]) {
        expectLinkupError(t, await linkupPost(t, premKey, body), 400, 'INVALID_PARAMS', 'get_viewers');
      }
      const noAction = await linkupPost(t, premKey, { account_id: 'prem' });
      expect(noAction.status, noAction.text).toBe(400);
      expect(noAction.body.error.code).toMatch(/^INVALID_(PARAMS|ACTION)$/);
      expect(noAction.body).toMatchObject({ success: false, metadata: { credits_consumed: 0 } });
    });

    it('INSUFFICIENT_CREDITS is a 402 when the key cannot pay for the answer', async () => {
      expectLinkupError(t, await linkupPost(t, brokeKey, getViewers('prem')), 402, 'INSUFFICIENT_CREDITS', 'get_viewers');
    });
  });

  describe('ConnectSafely', () => {
    const shape = shapeOf(CONNECTSAFELY_VISITORS_SAMPLE);
    // A hidden viewer (blurred or private) may have null where the sample has a string; a visible one may not.
    const opts: ShapeCheckOptions = { element: (_path, el: any) => ({ sampleIndex: 0, hidden: !VISIBLE_NAMES.has(el.name) }) };

    it('visible and blurred visitors both match the sample field for field; timeRange is null when not sent, as in the sample', async () => {
      let visible = 0;
      let blurred = 0;
      for (const [key, body] of [
        [premKey, { maxVisitors: 20 }],
        [premKey, {}],
        [freeKey, { maxVisitors: 10 }],
        [admin, { accountId: 'free', count: 5, start: 3 }],
      ] as const) {
        const res = await csPost(t, bearer(key), body);
        expect(res.status, res.text).toBe(200);
        expect(shapeMismatches(shape, res.body, opts), res.text).toEqual([]);
        for (const v of res.body.visitors) (VISIBLE_NAMES.has(v.name) ? visible++ : blurred++);
      }
      expect(visible).toBeGreaterThan(0);
      expect(blurred).toBeGreaterThan(0);
    });

    it('a premium owner\'s visitors read like the sample: URN, slug, name, headline, picture, relative time, degree, URL', async () => {
      const res = await csPost(t, bearer(premKey), { maxVisitors: 20 });
      expect(res.body.visitors[0]).toEqual({
        entityUrn: 'urn:li:fsd_profile:cv1',
        publicIdentifier: 'compat-viewer-1',
        name: 'Compat Viewer 1',
        headline: 'Engineer 1',
        profilePicture: 'https://img.example.com/cv1.png',
        viewedAt: 'Viewed 47m ago',
        connectionDegree: '1st',
        profileUrl: 'https://net.example.com/in/compat-viewer-1',
      });
      expect(res.body.visitors[1]).toMatchObject({ name: 'Compat Viewer 2', connectionDegree: '2nd' });
      expect(res.body).toMatchObject({ success: true, accountId: 'prem', hasMore: false, timeRange: null, filters: { timeRange: 'past_90_days', fetchAll: false, maxVisitors: 20 } });
    });

    it('401 "Unauthorized - Invalid credentials" without a Bearer key or with an unknown one, in the documented {error} shape too', async () => {
      for (const headers of [{}, bearer('pv_member_not-a-real-key'), { authorization: 'Basic abc' }, auth(premKey)]) {
        const res = await csPost(t, headers, { maxVisitors: 20 });
        expectConnectSafelyError(res, 401, 'Unauthorized - Invalid credentials');
        expect(shapeMismatches(shapeOf(CONNECTSAFELY_ERROR_SAMPLES[401]), res.body)).toEqual([]);
      }
    });

    it('403 "Premium required to view profile visitors" for a free member in private mode', async () => {
      const res = await csPost(t, bearer(privKey), {});
      expectConnectSafelyError(res, 403, 'Premium required to view profile visitors');
      expect(shapeMismatches(shapeOf(CONNECTSAFELY_ERROR_SAMPLES[403]), res.body)).toEqual([]);
      expectConnectSafelyError(await csPost(t, bearer(admin), { accountId: 'priv' }), 403, 'Premium required to view profile visitors');
    });

    it('400 for a bad timeRange, count, start or maxVisitors', async () => {
      for (const body of [
        { timeRange: 'yesterday' },
        { timeRange: 'Past_7_Days' },
        { count: 0 },
        { count: 101 },
        { count: 'ten' },
        { start: -1 },
        { maxVisitors: 0 },
        { fetchAll: 'yes' },
      ]) {
        expectConnectSafelyError(await csPost(t, bearer(premKey), body), 400);
      }
    });
  });
});

describe.each(BACKENDS)('rate limits per key in each API\'s shape on $name', (backend) => {
  let t: TestApp;
  const keys: string[] = [];

  beforeAll(async () => {
    t = await startTestApp(backend, { rateLimitMax: 2, rateLimitWindowMs: 10 * 60_000 });
    await t.members('rl', [{ id: 'owner', name: 'Rate Limited Owner', plan: 'premium' }]);
    for (let i = 0; i < 8; i++) keys.push(await t.memberKey('rl', 'owner'));
  });
  afterAll(() => t?.close());

  const calls = {
    Networked: (key: string) => networkedGet(t, key, '?start=0&count=10'),
    LinkupAPI: (key: string) => linkupPost(t, key, { account_id: 'owner', action: 'get_viewers' }),
    ConnectSafely: (key: string) => csPost(t, bearer(key), {}),
  };
  const expectShape = {
    Networked: (res: HttpResponse) => expectNetworkedError(res, 429),
    LinkupAPI: (res: HttpResponse) => expectLinkupEarlyError(t, res, 429, 'RATE_LIMITED'),
    ConnectSafely: (res: HttpResponse) => expectConnectSafelyError(res, 429),
  };

  function expectLimitHeaders(res: HttpResponse, remaining: number): void {
    expect(res.headers.get('x-ratelimit-limit'), res.text).toBe('2');
    expect(res.headers.get('x-ratelimit-remaining'), res.text).toBe(String(remaining));
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    expect(Number.isInteger(reset) && reset >= 0 && reset <= 600, `x-ratelimit-reset ${res.headers.get('x-ratelimit-reset')}`).toBe(true);
  }

  it.each(['Networked', 'LinkupAPI', 'ConnectSafely'] as const)(
    '%s: the third call of a key within the window is a 429 with the rate-limit headers, in that API\'s error shape; another key is unaffected',
    async (api) => {
      const i = ['Networked', 'LinkupAPI', 'ConnectSafely'].indexOf(api);
      const [mine, other] = [keys[2 * i]!, keys[2 * i + 1]!];
      const first = await calls[api](mine);
      expect(first.status, first.text).toBe(200);
      expectLimitHeaders(first, 1);
      const second = await calls[api](mine);
      expect(second.status, second.text).toBe(200);
      expectLimitHeaders(second, 0);

      const limited = await calls[api](mine);
      expect(limited.status, limited.text).toBe(429);
      expectShape[api](limited);
      expectLimitHeaders(limited, 0);
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 600, `retry-after ${limited.headers.get('retry-after')}`).toBe(true);

      // A different key has its own bucket.
      const fresh = await calls[api](other);
      expect(fresh.status, fresh.text).toBe(200);
      expectLimitHeaders(fresh, 1);
    },
  );

  it('the bucket belongs to the key, whichever API it calls: exhausted on Networked, refused by LinkupAPI and ConnectSafely in their shapes', async () => {
    const key = keys[6]!;
    expect((await calls.Networked(key)).status).toBe(200);
    expect((await calls.Networked(key)).status).toBe(200);
    const linkup = await calls.LinkupAPI(key);
    expectShape.LinkupAPI(linkup);
    expect(linkup.headers.get('retry-after')).toMatch(/^\d+$/);
    const cs = await calls.ConnectSafely(key);
    expectShape.ConnectSafely(cs);
    expect(cs.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
