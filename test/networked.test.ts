/**
 * Networked's GET /api/v1/profile/visits, checked against its documentation (docs/compatibility.md): the
 * envelope, every field's name and type, the pagination arithmetic, auth and errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth, expectNetworkedError, postBatch } from './support/assertions.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const ENTRY_KEYS = ['userId', 'name', 'title', 'image', 'industries', 'timeStamp'];

describe.each(BACKENDS)('Networked GET /api/v1/profile/visits on $name', (backend) => {
  let t: TestApp;
  let admin: string;
  let ownerKey: string;
  let now: number;
  /** Viewer ids of `owner` in the order the list must show them (newest first, ties by id). */
  const expectedOrder = Array.from({ length: 12 }, (_, i) => `v${String(i + 1).padStart(2, '0')}`);
  const viewedAt = new Map<string, number>();

  const visits = (key: string, query: string) => t.request('GET', `/api/v1/profile/visits${query}`, { headers: auth(key) });

  beforeAll(async () => {
    t = await startTestApp(backend);
    now = t.clock.now();
    await t.members('net', [
      { id: 'owner', name: 'Olga Owner', plan: 'premium' },
      { id: 'lonely', name: 'Nobody Visits', plan: 'premium' },
      { id: 'owner2', name: 'Hidden Viewers Owner', plan: 'premium' },
      { id: 'freeOwner', name: 'Frank Free', plan: 'free' },
      { id: 'privateFree', name: 'Pat Private', plan: 'free', visibility: 'private' },
      ...expectedOrder.map((id, i) => ({
        id,
        name: `Viewer ${id}`,
        headline: ` Software Developer ${i}`,
        imageUrl: `https://img.example.com/${id}.png`,
        industry: i % 2 === 0 ? 'Software Development' : null,
        company: 'Initech',
      })),
      {
        id: 'char1',
        name: 'Carla Characteristics',
        headline: 'Secret title',
        imageUrl: 'https://img.example.com/char1.png',
        company: 'Acme',
        industry: 'Fintech',
        visibility: 'characteristics',
      },
      { id: 'char2', name: 'Chris NoCompany', industry: 'Biotech', visibility: 'characteristics' },
      {
        id: 'priv1',
        name: 'Paul Private',
        headline: 'Hidden',
        imageUrl: 'https://img.example.com/priv1.png',
        company: 'Acme',
        industry: 'Fintech',
        visibility: 'private',
      },
      { id: 'bare', name: 'Bare Minimum' },
    ]);
    admin = await t.adminKey('net');
    ownerKey = await t.memberKey('net', 'owner');

    // v01 is newest, v12 oldest; v07 and v08 viewed at the same instant (tie broken by id),
    // recorded in reverse id order so insertion order cannot explain the result.
    expectedOrder.forEach((id, i) => viewedAt.set(id, now - (i + 1) * MIN));
    viewedAt.set('v08', viewedAt.get('v07')!);
    const ordered = [...expectedOrder].reverse();
    await postBatch(
      t,
      admin,
      ordered.map((id) => ({ profileId: 'owner', viewerId: id, viewedAt: viewedAt.get(id), source: 'search' })),
    );
    // An older view by v01 (beyond the dedup window) must not change its timeStamp: the last view counts.
    await postBatch(t, admin, [{ profileId: 'owner', viewerId: 'v01', viewedAt: now - 3 * 60 * MIN }]);

    await postBatch(t, admin, [
      { profileId: 'owner2', viewerId: 'char1', viewedAt: now - 1 * MIN },
      { profileId: 'owner2', viewerId: 'priv1', viewedAt: now - 2 * MIN },
      { profileId: 'owner2', viewerId: 'bare', viewedAt: now - 3 * MIN },
      { profileId: 'owner2', viewerId: 'char2', viewedAt: now - 4 * MIN },
    ]);
    await postBatch(
      t,
      admin,
      expectedOrder.slice(0, 7).map((id, i) => ({ profileId: 'freeOwner', viewerId: id, viewedAt: now - (i + 1) * MIN })),
    );
    await postBatch(t, admin, [{ profileId: 'privateFree', viewerId: 'v01', viewedAt: now - MIN }]);
  });
  afterAll(() => t.close());

  it('answers in the documented envelope with every field of the documented type', async () => {
    const res = await visits(ownerKey, '?start=0&count=3');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(['data', 'error', 'message']);
    expect(res.body.error).toBe(false);
    expect(res.body.message).toBe('Success');
    expect(Object.keys(res.body.data).sort()).toEqual(['content', 'count', 'nextStart', 'start']);
    expect(res.body.data).toMatchObject({ start: 0, count: 3, nextStart: 3 });
    expect(Array.isArray(res.body.data.content)).toBe(true);
    for (const entry of res.body.data.content) {
      expect(Object.keys(entry).sort()).toEqual([...ENTRY_KEYS].sort());
      expect(typeof entry.userId).toBe('string');
      expect(typeof entry.name).toBe('string');
      expect(typeof entry.title).toBe('string');
      expect(typeof entry.image).toBe('string');
      expect(typeof entry.industries).toBe('string');
      expect(Number.isSafeInteger(entry.timeStamp)).toBe(true);
    }
  });

  it('renders each visitor as its documentation does: id, name, title, image, industries and the last view in ms', async () => {
    const res = await visits(ownerKey, '?start=0&count=2');
    expect(res.status).toBe(200);
    expect(res.body.data.content).toEqual([
      {
        userId: 'v01',
        name: 'Viewer v01',
        title: ' Software Developer 0',
        image: 'https://img.example.com/v01.png',
        industries: 'Software Development',
        timeStamp: now - MIN,
      },
      {
        userId: 'v02',
        name: 'Viewer v02',
        title: ' Software Developer 1',
        image: 'https://img.example.com/v02.png',
        industries: '',
        timeStamp: now - 2 * MIN,
      },
    ]);
  });

  it('lists newest first with ties broken by viewer id', async () => {
    const res = await visits(ownerKey, '?start=0&count=100');
    expect(res.status).toBe(200);
    expect(res.body.data.content.map((e: any) => e.userId)).toEqual(expectedOrder);
    expect(res.body.data.content.map((e: any) => e.timeStamp)).toEqual(expectedOrder.map((id) => viewedAt.get(id)));
    expect(res.body.data).toMatchObject({ start: 0, count: 12, nextStart: false });
  });

  it('pages with start/count/nextStart: every page follows the previous, the last one says nextStart false', async () => {
    const seen: string[] = [];
    const pages: Array<{ start: number; count: number; nextStart: number | false }> = [];
    let start: number | false = 0;
    while (start !== false) {
      const res = await visits(ownerKey, `?start=${start}&count=5`);
      expect(res.status).toBe(200);
      const { content, ...meta } = res.body.data;
      expect(meta.count).toBe(content.length);
      pages.push(meta);
      seen.push(...content.map((e: any) => e.userId));
      start = meta.nextStart;
      expect(pages.length).toBeLessThan(10);
    }
    expect(pages).toEqual([
      { start: 0, count: 5, nextStart: 5 },
      { start: 5, count: 5, nextStart: 10 },
      { start: 10, count: 2, nextStart: false },
    ]);
    expect(seen).toEqual(expectedOrder);
  });

  it('says nextStart false when the last page is exactly full', async () => {
    const res = await visits(ownerKey, '?start=6&count=6');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ start: 6, count: 6, nextStart: false });
    expect(res.body.data.content.map((e: any) => e.userId)).toEqual(expectedOrder.slice(6));
    const whole = await visits(ownerKey, '?start=0&count=12');
    expect(whole.body.data).toMatchObject({ start: 0, count: 12, nextStart: false });
  });

  it('pages from an odd start: start=7&count=4 returns items 8 to 11 and points at 11', async () => {
    const res = await visits(ownerKey, '?start=7&count=4');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ start: 7, count: 4, nextStart: 11 });
    expect(res.body.data.content.map((e: any) => e.userId)).toEqual(expectedOrder.slice(7, 11));
  });

  it('returns an empty list for a profile nobody visited', async () => {
    const res = await visits(admin, '?start=0&count=10&userId=lonely');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { start: 0, count: 0, nextStart: false, content: [] }, error: false, message: 'Success' });
  });

  it('returns an empty page when start is beyond the end', async () => {
    for (const start of [12, 13, 500]) {
      const res = await visits(ownerKey, `?start=${start}&count=10`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { start, count: 0, nextStart: false, content: [] }, error: false, message: 'Success' });
    }
  });

  describe('authentication', () => {
    it('refuses a request without x-api-key with 401', async () => {
      const res = await t.request('GET', '/api/v1/profile/visits?start=0&count=10');
      expectNetworkedError(res, 401);
    });

    it('refuses an unknown key with 401', async () => {
      expectNetworkedError(await visits('pv_admin_not-a-real-key', '?start=0&count=10'), 401);
      expectNetworkedError(await visits('', '?start=0&count=10'), 401);
    });

    it('checks the key before the query: a bad query without a key is still 401', async () => {
      expectNetworkedError(await t.request('GET', '/api/v1/profile/visits?start=abc'), 401);
    });
  });

  describe('400 for missing or invalid start/count', () => {
    const cases: Array<[string, string]> = [
      ['start missing', '?count=10'],
      ['count missing', '?start=0'],
      ['both missing', ''],
      ['start empty', '?start=&count=10'],
      ['count empty', '?start=0&count='],
      ['start not a number', '?start=abc&count=10'],
      ['count not a number', '?start=0&count=ten'],
      ['start negative', '?start=-1&count=10'],
      ['count negative', '?start=0&count=-5'],
      ['count zero', '?start=0&count=0'],
      ['start fractional', '?start=1.5&count=10'],
      ['count fractional', '?start=0&count=2.5'],
      ['start huge', '?start=99999999999999999999&count=10'],
      ['count huge', '?start=0&count=99999999999'],
      ['start repeated', '?start=0&start=5&count=10'],
    ];
    it.each(cases)('%s (%s)', async (_name, query) => {
      const res = await visits(ownerKey, query);
      expectNetworkedError(res, 400, /start|count/);
    });
  });

  describe('who is read', () => {
    it('a member key reads its own profile without userId', async () => {
      const res = await visits(ownerKey, '?start=0&count=100');
      expect(res.status).toBe(200);
      expect(res.body.data.count).toBe(12);
    });

    it('a member key may name itself', async () => {
      const res = await visits(ownerKey, '?start=0&count=100&userId=owner');
      expect(res.status).toBe(200);
      expect(res.body.data.count).toBe(12);
    });

    it('a member key naming another member gets 403', async () => {
      expectNetworkedError(await visits(ownerKey, '?start=0&count=10&userId=owner2'), 403);
    });

    it('an admin key reads the member named by userId', async () => {
      const mine = await visits(ownerKey, '?start=0&count=100');
      const res = await visits(admin, '?start=0&count=100&userId=owner');
      expect(res.status).toBe(200);
      expect(res.body).toEqual(mine.body);
    });

    it('an admin key without userId gets 400 naming userId', async () => {
      expectNetworkedError(await visits(admin, '?start=0&count=10'), 400, /userId/);
      expectNetworkedError(await visits(admin, '?start=0&count=10&userId='), 400, /userId/);
    });

    it('an admin key naming an unknown member gets 404', async () => {
      expectNetworkedError(await visits(admin, '?start=0&count=10&userId=ghost'), 404, /ghost/);
    });
  });

  describe('privacy and plans', () => {
    it('hides what a characteristics or private viewer does not share behind empty strings', async () => {
      const res = await visits(admin, '?start=0&count=10&userId=owner2');
      expect(res.status).toBe(200);
      expect(res.body.data.content).toEqual([
        // characteristics: "Someone at {company}", no id, title or picture, and no characteristic
        // but the one the label names (so no industry); its time floored to the hour (the clock
        // stands on a whole hour)
        { userId: '', name: 'Someone at Acme', title: '', image: '', industries: '', timeStamp: now - HOUR },
        // private: nothing but "Anonymous member"
        { userId: '', name: 'Anonymous member', title: '', image: '', industries: '', timeStamp: now - HOUR },
        // full viewer whose optional fields are missing: empty strings, never null
        { userId: 'bare', name: 'Bare Minimum', title: '', image: '', industries: '', timeStamp: now - 3 * MIN },
        // characteristics without a company falls back to the industry, which the entry then carries
        { userId: '', name: 'Someone in Biotech', title: '', image: '', industries: 'Biotech', timeStamp: now - HOUR },
      ]);
      const text = res.text;
      for (const secret of ['char1', 'priv1', 'Carla', 'Paul', 'Secret title', 'Hidden', 'char1.png', 'priv1.png', 'Fintech']) {
        expect(text).not.toContain(secret);
      }
    });

    it('a free owner sees the 5 most recent viewers in full and the rest blurred, on every page', async () => {
      const res = await visits(admin, '?start=0&count=10&userId=freeOwner');
      expect(res.status).toBe(200);
      const content = res.body.data.content;
      expect(content.map((e: any) => e.userId)).toEqual(['v01', 'v02', 'v03', 'v04', 'v05', '', '']);
      expect(content.slice(5)).toEqual([
        { userId: '', name: 'Someone at Initech', title: '', image: '', industries: '', timeStamp: now - HOUR },
        { userId: '', name: 'Someone at Initech', title: '', image: '', industries: '', timeStamp: now - HOUR },
      ]);
      const page2 = await visits(admin, '?start=5&count=5&userId=freeOwner');
      expect(page2.body.data.content).toEqual(content.slice(5));
      expect(page2.body.data).toMatchObject({ start: 5, count: 2, nextStart: false });
    });

    it('a free member in private mode gets 403 in Networked shape', async () => {
      const key = await t.memberKey('net', 'privateFree');
      expectNetworkedError(await visits(key, '?start=0&count=10'), 403, /private|premium/i);
    });
  });
});
