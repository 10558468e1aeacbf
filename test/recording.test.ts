/**
 * The recording rules (docs/rules.md#recording) through POST /v1/visits and POST /v1/visits/batch, judged by
 * what members then see in GET /v1/members/:id/visitors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { allVisitors, auth, expectNativeError } from './support/assertions.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const DEFAULT_WINDOW = 30 * MIN;

describe.each(BACKENDS)('recording visits on $name', (backend) => {
  let t: TestApp;
  let wsCounter = 0;

  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(() => t.close());

  /** A fresh workspace with a premium owner (sees a year, everyone in full) and a few viewers. */
  async function workspace() {
    const ws = `rec-${++wsCounter}`;
    await t.members(ws, [
      { id: 'owner', name: 'Olga Owner', plan: 'premium' },
      { id: 'owner2', name: 'Otto Second', plan: 'premium' },
      { id: 'v1', name: 'Vic One', headline: 'CTO', company: 'Initech' },
      { id: 'v2', name: 'Val Two' },
      { id: 'v3', name: 'Vera Three' },
    ]);
    const key = await t.adminKey(ws);
    const visit = (body: unknown) => t.request('POST', '/v1/visits', { headers: auth(key), body });
    const batch = (visits: unknown[]) => t.request('POST', '/v1/visits/batch', { headers: auth(key), body: { visits } });
    const visitors = (memberId = 'owner') => allVisitors(t, key, memberId);
    const settings = (patch: unknown) => t.request('PATCH', '/v1/workspace/settings', { headers: auth(key), body: patch });
    return { ws, key, visit, batch, visitors, settings };
  }

  describe('self-views', () => {
    it('acknowledges a self-view as self_view and does not store it', async () => {
      const w = await workspace();
      const res = await w.visit({ profileId: 'owner', viewerId: 'owner', source: 'profile' });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('self_view');
      expect(await w.visitors()).toEqual({ total: 0, viewers: [] });
    });

    it('counts a self-view in a batch as ignored', async () => {
      const w = await workspace();
      const res = await w.batch([{ profileId: 'owner', viewerId: 'owner' }, { profileId: 'owner', viewerId: 'v1' }]);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ recorded: 1, ignored: 1, rejected: 0, deduplicated: 0, replayed: 0 });
      expect(res.body.results[0]).toMatchObject({ index: 0, status: 'self_view' });
      const list = await w.visitors();
      expect(list.viewers.map((v) => v.viewer.id)).toEqual(['v1']);
    });
  });

  describe('dedup window', () => {
    it('with the server clock: a repeat at window-1 ms is deduplicated, at exactly the window it is recorded', async () => {
      const w = await workspace();
      const first = t.clock.now();
      expect((await w.visit({ profileId: 'owner', viewerId: 'v1', source: 'search' })).status).toBe(201);

      t.clock.advance(DEFAULT_WINDOW - 1);
      const repeat = await w.visit({ profileId: 'owner', viewerId: 'v1', source: 'feed' });
      expect(repeat.status).toBe(200);
      expect(repeat.body.status).toBe('deduplicated');
      let list = await w.visitors();
      expect(list.viewers[0]).toMatchObject({ viewCount: 1, firstViewedAt: first, lastViewedAt: first, lastSource: 'search' });

      t.clock.advance(1);
      const counted = await w.visit({ profileId: 'owner', viewerId: 'v1', source: 'feed' });
      expect(counted.status).toBe(201);
      expect(counted.body.status).toBe('recorded');
      list = await w.visitors();
      expect(list.total).toBe(1);
      expect(list.viewers[0]).toMatchObject({
        viewCount: 2,
        firstViewedAt: first,
        lastViewedAt: first + DEFAULT_WINDOW,
        lastSource: 'feed',
      });
    });

    it('with explicit timestamps, in both directions and out of order', async () => {
      const w = await workspace();
      const T = t.clock.now() - 5 * HOUR;
      const at = async (viewedAt: number) => (await w.visit({ profileId: 'owner', viewerId: 'v1', viewedAt })).body.status;
      expect(await at(T)).toBe('recorded');
      expect(await at(T + DEFAULT_WINDOW - 1)).toBe('deduplicated');
      expect(await at(T - (DEFAULT_WINDOW - 1))).toBe('deduplicated');
      expect(await at(T)).toBe('deduplicated');
      expect(await at(T - DEFAULT_WINDOW)).toBe('recorded');
      expect(await at(T + DEFAULT_WINDOW)).toBe('recorded');
      const list = await w.visitors();
      expect(list.viewers[0]).toMatchObject({ viewCount: 3, firstViewedAt: T - DEFAULT_WINDOW, lastViewedAt: T + DEFAULT_WINDOW });
    });

    it('applies per viewer and per profile', async () => {
      const w = await workspace();
      const at = t.clock.now() - HOUR;
      expect((await w.visit({ profileId: 'owner', viewerId: 'v1', viewedAt: at })).body.status).toBe('recorded');
      expect((await w.visit({ profileId: 'owner', viewerId: 'v2', viewedAt: at })).body.status).toBe('recorded');
      expect((await w.visit({ profileId: 'owner2', viewerId: 'v1', viewedAt: at })).body.status).toBe('recorded');
      expect((await w.visitors('owner')).total).toBe(2);
      expect((await w.visitors('owner2')).total).toBe(1);
    });

    it('follows the workspace setting changed through PATCH /v1/workspace/settings', async () => {
      const w = await workspace();
      const patched = await w.settings({ dedupWindowMs: 60_000 });
      expect(patched.status).toBe(200);
      expect(patched.body.settings.dedupWindowMs).toBe(60_000);
      const shown = await t.request('GET', '/v1/workspace', { headers: auth(w.key) });
      expect(shown.body.settings.dedupWindowMs).toBe(60_000);

      const T = t.clock.now() - HOUR;
      const at = async (viewedAt: number) => (await w.visit({ profileId: 'owner', viewerId: 'v1', viewedAt })).body.status;
      expect(await at(T)).toBe('recorded');
      expect(await at(T + 59_999)).toBe('deduplicated');
      expect(await at(T + 60_000)).toBe('recorded');
      expect((await w.visitors()).viewers[0].viewCount).toBe(2);

      // A window of 0 counts every view.
      expect((await w.settings({ dedupWindowMs: 0 })).status).toBe(200);
      expect(await at(T + 60_001)).toBe('recorded');
      expect(await at(T + 60_001)).toBe('recorded');
      expect((await w.visitors()).viewers[0].viewCount).toBe(4);
    });

    it('counts concurrent identical views once', async () => {
      const w = await workspace();
      const at = t.clock.now() - HOUR;
      const results = await Promise.all(
        Array.from({ length: 20 }, () => w.visit({ profileId: 'owner', viewerId: 'v1', viewedAt: at })),
      );
      expect(results.filter((r) => r.body.status === 'recorded')).toHaveLength(1);
      expect(results.filter((r) => r.body.status === 'deduplicated')).toHaveLength(19);
      expect((await w.visitors()).viewers[0].viewCount).toBe(1);
    });
  });

  describe('idempotent retries', () => {
    it('a retry with the same id is replayed and counted once, even after the window has passed', async () => {
      const w = await workspace();
      const body = { id: 'evt-1', profileId: 'owner', viewerId: 'v1', source: 'search' };
      const first = await w.visit(body);
      expect(first.status).toBe(201);
      expect(first.body).toEqual({ status: 'recorded', visitId: 'evt-1' });

      const retry = await w.visit(body);
      expect(retry.status).toBe(200);
      expect(retry.body).toEqual({ status: 'replayed', visitId: 'evt-1' });

      t.clock.advance(2 * DEFAULT_WINDOW);
      const late = await w.visit(body);
      expect(late.body).toEqual({ status: 'replayed', visitId: 'evt-1' });
      const list = await w.visitors();
      expect(list.viewers[0].viewCount).toBe(1);
    });

    it('a batch that repeats an id, and a retried batch, count each visit once', async () => {
      const w = await workspace();
      const T = t.clock.now() - 10 * HOUR;
      const visits = [
        { id: 'b-1', profileId: 'owner', viewerId: 'v1', viewedAt: T },
        { id: 'b-1', profileId: 'owner', viewerId: 'v1', viewedAt: T },
        { id: 'b-2', profileId: 'owner', viewerId: 'v2', viewedAt: T },
        { id: 'b-3', profileId: 'owner', viewerId: 'v1', viewedAt: T + 2 * HOUR },
      ];
      const res = await w.batch(visits);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ recorded: 3, replayed: 1, deduplicated: 0, rejected: 0, ignored: 0 });
      expect(res.body.results.map((r: any) => [r.status, r.visitId])).toEqual([
        ['recorded', 'b-1'],
        ['replayed', 'b-1'],
        ['recorded', 'b-2'],
        ['recorded', 'b-3'],
      ]);
      const again = await w.batch(visits);
      expect(again.body).toMatchObject({ recorded: 0, replayed: 4, rejected: 0 });
      const list = await w.visitors();
      expect(Object.fromEntries(list.viewers.map((v) => [v.viewer.id, v.viewCount]))).toEqual({ v1: 2, v2: 1 });
    });

    it('an id stored for one viewer and sent again for a viewer never seen is a conflict that leaves no trace of the new viewer', async () => {
      const w = await workspace();
      expect((await w.visit({ id: 'moved', profileId: 'owner', viewerId: 'v1' })).body.status).toBe('recorded');
      const res = await w.batch([{ id: 'moved', profileId: 'owner', viewerId: 'v3' }]);
      expect(res.body.results.map((r: any) => [r.status, r.error?.code])).toEqual([['error', 'conflict']]);
      expect((await w.visitors()).viewers.map((v) => [v.viewer.id, v.viewCount])).toEqual([['v1', 1]]);
      // The first real visit of v3 still counts as its first.
      expect((await w.visit({ profileId: 'owner', viewerId: 'v3' })).body.status).toBe('recorded');
      const list = await w.visitors();
      expect(list.total).toBe(2);
      expect(list.viewers.find((v) => v.viewer.id === 'v3')?.viewCount).toBe(1);
    });

    it('an id whose first use in a batch is deduplicated is recorded at its next use, for a viewer never seen', async () => {
      const w = await workspace();
      const T = t.clock.now() - 5 * HOUR;
      expect((await w.visit({ profileId: 'owner', viewerId: 'v1', viewedAt: T })).body.status).toBe('recorded');
      const res = await w.batch([
        { id: 'shared', profileId: 'owner', viewerId: 'v1', viewedAt: T + MIN },
        { id: 'shared', profileId: 'owner', viewerId: 'v3', viewedAt: T + 2 * MIN },
      ]);
      expect(res.body.results.map((r: any) => r.status)).toEqual(['deduplicated', 'recorded']);
      const list = await w.visitors();
      expect(Object.fromEntries(list.viewers.map((v) => [v.viewer.id, [v.viewCount, v.lastViewedAt]]))).toEqual({
        v1: [1, T],
        v3: [1, T + 2 * MIN],
      });
    });

    it('concurrent retries of one id record it once', async () => {
      const w = await workspace();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => w.visit({ id: 'race', profileId: 'owner', viewerId: 'v2', viewedAt: t.clock.now() - HOUR })),
      );
      expect(results.filter((r) => r.body.status === 'recorded')).toHaveLength(1);
      expect(results.filter((r) => r.body.status === 'replayed')).toHaveLength(19);
      expect((await w.visitors()).viewers[0].viewCount).toBe(1);
    });
  });

  describe('unknown members and inline profiles', () => {
    it('refuses a visit naming an unknown member with 422 naming the id, and stores nothing', async () => {
      const w = await workspace();
      const res = await w.visit({ profileId: 'owner', viewerId: 'ghost' });
      expectNativeError(res, 422, /ghost/);
      expect(res.body.error.code).toBe('unknown_members');
      expect(res.body.error.details).toEqual({ memberIds: ['ghost'] });
      expect((await w.visitors()).total).toBe(0);
      expectNativeError(await t.request('GET', '/v1/members/ghost', { headers: auth(w.key) }), 404);
    });

    it('names every unknown member of the visit', async () => {
      const w = await workspace();
      const res = await w.visit({ profileId: 'ghost-owner', viewerId: 'ghost-viewer' });
      expectNativeError(res, 422);
      expect(res.body.error.message).toContain('ghost-owner');
      expect(res.body.error.message).toContain('ghost-viewer');
      expect(res.body.error.details.memberIds).toEqual(['ghost-owner', 'ghost-viewer']);
    });

    it('upserts members sent inline, then shows them as visitors', async () => {
      const w = await workspace();
      const res = await w.visit({
        profileId: 'nora',
        viewerId: 'nick',
        source: 'feed',
        profile: { name: 'Nora New', plan: 'premium' },
        viewer: { name: 'Nick Inline', headline: 'Product Manager', company: 'Globex', imageUrl: 'https://img.example.com/nick.png' },
      });
      expect(res.status).toBe(201);
      expect(res.body.status).toBe('recorded');
      const nick = await t.request('GET', '/v1/members/nick', { headers: auth(w.key) });
      expect(nick.status).toBe(200);
      expect(nick.body).toMatchObject({ id: 'nick', name: 'Nick Inline', headline: 'Product Manager', company: 'Globex', plan: 'free', visibility: 'full' });
      const nora = await t.request('GET', '/v1/members/nora', { headers: auth(w.key) });
      expect(nora.body).toMatchObject({ id: 'nora', name: 'Nora New', plan: 'premium' });
      const list = await w.visitors('nora');
      expect(list.viewers).toHaveLength(1);
      expect(list.viewers[0]).toMatchObject({ label: 'Nick Inline', lastSource: 'feed', viewer: { id: 'nick', headline: 'Product Manager' } });
    });

    it('merges inline data into an existing member: fields not sent are kept', async () => {
      const w = await workspace();
      const res = await w.visit({ profileId: 'owner', viewerId: 'v1', viewer: { name: 'Vic Renamed' } });
      expect(res.status).toBe(201);
      const v1 = await t.request('GET', '/v1/members/v1', { headers: auth(w.key) });
      expect(v1.body).toMatchObject({ name: 'Vic Renamed', headline: 'CTO', company: 'Initech' });
      expect((await w.visitors()).viewers[0].label).toBe('Vic Renamed');
    });

    it('inline data for one side does not excuse the other unknown side', async () => {
      const w = await workspace();
      const res = await w.visit({ profileId: 'ghost', viewerId: 'newbie', viewer: { name: 'New Bie' } });
      expectNativeError(res, 422, /ghost/);
      expect(res.body.error.message).not.toContain('newbie');
    });
  });

  describe('refused items leave no trace', () => {
    it('does not create the inline member of a visit refused for another unknown member', async () => {
      const w = await workspace();
      const res = await w.batch([{ profileId: 'ghost', viewerId: 'newbie', viewer: { name: 'Nina Newbie' } }]);
      expect(res.body).toMatchObject({ recorded: 0, rejected: 1 });
      expect(res.body.results[0].error).toMatchObject({ code: 'unknown_members', details: { memberIds: ['ghost'] } });
      const lookup = await t.request('GET', '/v1/members/newbie', { headers: auth(w.key) });
      expect(lookup.status).toBe(404);
    });

    it('refuses a batch item with a field the single-visit endpoint would refuse', async () => {
      const w = await workspace();
      const res = await w.batch([
        { profileId: 'owner', viewerId: 'v1', sauce: 'search' },
        { profileId: 'owner', viewerId: 'v2', viewer: { nickname: 'V' } },
        { profileId: 'owner', viewerId: 'v3' },
      ]);
      expect(res.body).toMatchObject({ recorded: 1, rejected: 2 });
      expect(res.body.results[0].error.message).toBe('sauce is not allowed');
      expect(res.body.results[1].error.message).toBe('viewer.nickname is not allowed');
      const single = await w.visit({ profileId: 'owner', viewerId: 'v1', sauce: 'search' });
      expect(single.status).toBe(400);
      expect((await w.visitors()).viewers.map((v) => v.viewer.id)).toEqual(['v3']);
    });
  });

  describe('the NUL character', () => {
    it('a batch item holding a NUL is refused on its own; the others are stored', async () => {
      const w = await workspace();
      const res = await w.batch([
        { profileId: 'owner', viewerId: 'v\u00001' },
        { profileId: 'owner', viewerId: 'v2', viewer: { name: 'V\u0000' } },
        { profileId: 'owner', viewerId: 'v3' },
      ]);
      expect(res.body).toMatchObject({ recorded: 1, rejected: 2 });
      expect(res.body.results[0].error.message).toBe('viewerId must not contain the NUL character (U+0000)');
      expect(res.body.results[1].error.message).toBe('viewer.name must not contain the NUL character (U+0000)');
      expect((await w.visitors()).viewers.map((v) => v.viewer.id)).toEqual(['v3']);
    });
  });

  describe('timestamps', () => {
    it('refuses a visit more than 5 minutes in the future and accepts one exactly 5 minutes ahead', async () => {
      const w = await workspace();
      const now = t.clock.now();
      const ahead = await w.visit({ profileId: 'owner', viewerId: 'v1', viewedAt: now + 5 * MIN + 1 });
      expectNativeError(ahead, 400, /future/);
      expect((await w.visitors()).total).toBe(0);
      const skew = await w.visit({ profileId: 'owner', viewerId: 'v1', viewedAt: now + 5 * MIN });
      expect(skew.status).toBe(201);
    });

    it('refuses a visit older than the retention horizon and accepts one exactly at it', async () => {
      const w = await workspace();
      const now = t.clock.now();
      const old = await w.visit({ profileId: 'owner', viewerId: 'v1', viewedAt: now - 365 * DAY - 1 });
      expectNativeError(old, 400, /retention/);
      expect((await w.visitors()).total).toBe(0);
      const edge = await w.visit({ profileId: 'owner', viewerId: 'v1', viewedAt: now - 365 * DAY });
      expect(edge.status).toBe(201);
      expect((await w.visitors()).viewers[0].lastViewedAt).toBe(now - 365 * DAY);
    });

    it('follows a shorter retention set on the workspace', async () => {
      const w = await workspace();
      expect((await w.settings({ retentionDays: 30, premiumHistoryDays: 30, freeHistoryDays: 30 })).status).toBe(200);
      const now = t.clock.now();
      expectNativeError(await w.visit({ profileId: 'owner', viewerId: 'v1', viewedAt: now - 31 * DAY }), 400, /retention/);
      expect((await w.visit({ profileId: 'owner', viewerId: 'v1', viewedAt: now - 29 * DAY })).status).toBe(201);
    });
  });

  describe('batches', () => {
    it('stores the valid items, reports each invalid one by index, counts right and loses nothing else', async () => {
      const w = await workspace();
      const now = t.clock.now();
      // Recorded before: must survive the batch untouched.
      expect((await w.visit({ profileId: 'owner', viewerId: 'v3', viewedAt: now - 10 * HOUR, source: 'group' })).status).toBe(201);

      const items: unknown[] = [
        /* 0 */ { profileId: 'owner', viewerId: 'v1', viewedAt: now - HOUR, source: 'feed' },
        /* 1 */ { profileId: 'owner' },
        /* 2 */ { profileId: 'owner', viewerId: 'ghost' },
        /* 3 */ { profileId: 'owner', viewerId: 'owner' },
        /* 4 */ { profileId: 'owner', viewerId: 'v2', viewedAt: now + HOUR },
        /* 5 */ { profileId: 'owner', viewerId: 'v1', viewedAt: now - HOUR + MIN },
        /* 6 */ 'not a visit',
        /* 7 */ { profileId: 'owner', viewerId: 'v2', source: 'tv' },
        /* 8 */ { id: 'b-8', profileId: 'owner', viewerId: 'v2', viewedAt: now - 2 * HOUR, source: 'search' },
        /* 9 */ { profileId: 'owner', viewerId: 'v3', viewedAt: 'yesterday' },
        /* 10 */ { profileId: 42, viewerId: 'v1' },
        /* 11 */ { profileId: 'owner', viewerId: 'v2', viewedAt: now - 400 * DAY },
        /* 12 */ { profileId: 'owner2', viewerId: 'v2', viewedAt: now - 3 * HOUR },
        /* 13 */ null,
      ];
      const res = await w.batch(items);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ recorded: 3, deduplicated: 1, replayed: 0, ignored: 1, rejected: 9 });
      const results = res.body.results as any[];
      expect(results).toHaveLength(items.length);
      results.forEach((r, i) => expect(r.index).toBe(i));
      expect(results.map((r) => r.status)).toEqual([
        'recorded', 'error', 'error', 'self_view', 'error', 'deduplicated', 'error', 'error', 'recorded', 'error', 'error', 'error', 'recorded', 'error',
      ]);
      expect(results[8].visitId).toBe('b-8');
      const errors = Object.fromEntries(results.filter((r) => r.status === 'error').map((r) => [r.index, r.error]));
      expect(errors[1]).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/viewerId/) });
      expect(errors[2]).toMatchObject({ code: 'unknown_members', message: expect.stringMatching(/ghost/), details: { memberIds: ['ghost'] } });
      expect(errors[4]).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/future/) });
      expect(errors[6]).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/object/) });
      expect(errors[7]).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/source/) });
      expect(errors[9]).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/viewedAt/) });
      expect(errors[10]).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/profileId/) });
      expect(errors[11]).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/retention/) });
      expect(errors[13]).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/object/) });

      const owner = await w.visitors('owner');
      expect(owner.total).toBe(3);
      expect(owner.viewers.map((v) => [v.viewer.id, v.viewCount, v.lastSource, v.lastViewedAt])).toEqual([
        ['v1', 1, 'feed', now - HOUR],
        ['v2', 1, 'search', now - 2 * HOUR],
        ['v3', 1, 'group', now - 10 * HOUR],
      ]);
      const owner2 = await w.visitors('owner2');
      expect(owner2.viewers.map((v) => v.viewer.id)).toEqual(['v2']);
    });

    it('accepts an empty batch', async () => {
      const w = await workspace();
      const res = await w.batch([]);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ recorded: 0, deduplicated: 0, replayed: 0, ignored: 0, rejected: 0, results: [] });
    });

    it('accepts exactly 10,000 visits with a result for each', async () => {
      const w = await workspace();
      const now = t.clock.now();
      // One pair, views 31 minutes apart: none is a repeat, all within the year.
      const visits = Array.from({ length: 10_000 }, (_, i) => ({ profileId: 'owner', viewerId: 'v1', viewedAt: now - i * 31 * MIN }));
      const res = await w.batch(visits);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ recorded: 10_000, rejected: 0, deduplicated: 0 });
      expect(res.body.results).toHaveLength(10_000);
      const list = await w.visitors();
      expect(list.viewers[0]).toMatchObject({ viewCount: 10_000, lastViewedAt: now, firstViewedAt: now - 9_999 * 31 * MIN });
    });

    it('refuses a batch of more than 10,000 visits with 400 and stores none of it', async () => {
      const w = await workspace();
      const now = t.clock.now();
      const visits = Array.from({ length: 10_001 }, (_, i) => ({ profileId: 'owner', viewerId: 'v1', viewedAt: now - i * 31 * MIN }));
      const res = await w.batch(visits);
      expectNativeError(res, 400, /10[,_]?000/);
      expect((await w.visitors()).total).toBe(0);
    });
  });
});
