/**
 * Breakdowns kept on PostgreSQL (docs/insights.md, "Kept results"), with two app instances on
 * one database, as behind a load balancer: each keeps its own results, and a change made through
 * either (a card, inline in a recording or written whole, a connection, a block, an erase) shows
 * in the next read through both. That breakdowns are kept while nothing changes is seen from the
 * store: each instance serves a real PostgreSQL store whose `rangeViewers` (the read every
 * computation of breakdowns starts with) is counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, postgresBackend, testStoreConfig } from './support/backends.js';
import { startTestApp, TestClock, type TestApp } from './support/test-app.js';
import { auth, postBatch } from './support/assertions.js';
import { openStore } from '../src/storage/open-store.js';
import type { MemberInput, Store } from '../src/core/index.js';

const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
/** DIRECTORY_MAX_AGE_MS in src/storage/postgres/directory-version.ts. */
const MAX_AGE_MS = 60_000;

/** The real store, with its computations of breakdowns counted. */
function counted(store: Store): { store: Store; computed: () => number } {
  let n = 0;
  const insights = store.insights;
  const wrapped: Store['insights'] = {
    versions: (...a) => insights.versions(...a),
    profileViews: (...a) => insights.profileViews(...a),
    distinctViewers: (...a) => insights.distinctViewers(...a),
    rangeViewers: (...a) => (n++, insights.rangeViewers(...a)),
    workspaceViews: (...a) => insights.workspaceViews(...a),
    workspaceViewers: (...a) => insights.workspaceViewers(...a),
    topProfiles: (...a) => insights.topProfiles(...a),
  };
  return { store: { ...store, insights: wrapped }, computed: () => n };
}

describe.skipIf(!postgresAvailable())('breakdowns kept by two instances on one PostgreSQL database (needs PostgreSQL)', () => {
  let a: TestApp;
  let b: TestApp;
  let computedA: () => number;
  let computedB: () => number;
  let admin: string;
  const clock = new TestClock(NOW);
  const ws = 'kept-pg';
  const q = '/v1/members/owner/insights?range=30d&tz=UTC&breakdowns=true';
  const read = async (t: TestApp) => {
    const res = await t.request('GET', q, { headers: auth(admin) });
    expect(res.status, res.text).toBe(200);
    return res.body;
  };
  /** Reads through both instances; they must agree. */
  const readBoth = async () => {
    const [x, y] = [await read(a), await read(b)];
    expect(y).toEqual(x);
    return x;
  };
  const computed = () => [computedA(), computedB()];

  beforeAll(async () => {
    const url = await postgresBackend.freshUrl();
    const one = counted(await openStore(testStoreConfig(url)));
    const two = counted(await openStore(testStoreConfig(url)));
    [computedA, computedB] = [one.computed, two.computed];
    a = await startTestApp(postgresBackend, { store: one.store, databaseUrl: url, clock });
    b = await startTestApp(postgresBackend, { store: two.store, databaseUrl: url, clock });
    const members: MemberInput[] = [
      { id: 'owner', name: 'Owner', plan: 'premium' },
      { id: 'other', name: 'Other' },
    ];
    for (let i = 0; i < 4; i++) members.push({ id: `a${i}`, name: `A ${i}`, company: 'Acme', title: 'Engineer' });
    for (let i = 0; i < 3; i++) members.push({ id: `b${i}`, name: `B ${i}`, company: 'Beta', title: 'Designer' });
    await a.members(ws, members);
    admin = await a.adminKey(ws);
    const viewers = members.filter((m) => m.id !== 'owner' && m.id !== 'other');
    await postBatch(a, admin, viewers.map((m, i) => ({ profileId: 'owner', viewerId: m.id, viewedAt: NOW - (i + 1) * 3_600_000, source: 'search' })));
  });
  afterAll(async () => {
    // The database itself goes with the run's teardown (its name carries the run's prefix).
    await b?.close();
    await a?.close();
  });

  it('computed once per instance, then kept while nothing changes; requests arriving together share one computation', async () => {
    // The projection caught up first (without breakdowns), so that the three reads find the same versions.
    expect((await a.request('GET', '/v1/members/owner/insights?range=30d', { headers: auth(admin) })).body.views).toBe(7);
    const [x, y, z] = await Promise.all([read(a), read(a), read(a)]);
    expect(x.breakdowns.companies).toEqual({ buckets: [{ value: 'Acme', viewers: 4 }, { value: 'Beta', viewers: 3 }], other: 0 });
    expect([y, z]).toEqual([x, x]);
    expect(computed()).toEqual([1, 0]);
    expect(await read(b)).toEqual(x);
    expect(await read(a)).toEqual(x);
    expect(await read(b)).toEqual(x);
    expect(computed()).toEqual([1, 1]);
    // A recording that merges an unchanged card, visiting someone else: nothing to recompute.
    await postBatch(b, admin, [{ profileId: 'other', viewerId: 'a0', viewedAt: NOW - 60_000, viewer: { company: 'Acme' } }]);
    expect(await readBoth()).toEqual(x);
    expect(computed()).toEqual([1, 1]);
  });

  it('a card changed through one instance shows in the next read through both: written whole, or inline in a recording', async () => {
    const put = await a.request('PUT', '/v1/members/b0', { headers: auth(admin), body: { name: 'B 0', company: 'Acme', title: 'Designer' } });
    expect(put.status, put.text).toBe(200);
    expect((await readBoth()).breakdowns.companies).toEqual({ buckets: [{ value: 'Acme', viewers: 5 }], other: 2 });
    const before = computed();
    // Visiting another profile: the owner's projection does not move, only the card does.
    await postBatch(b, admin, [{ profileId: 'other', viewerId: 'b1', viewedAt: NOW - 60_000, viewer: { company: 'Acme' } }]);
    expect((await readBoth()).breakdowns.companies).toEqual({ buckets: [{ value: 'Acme', viewers: 6 }], other: 1 });
    expect(computed()).toEqual(before.map((n) => n + 1));
    const turned = await b.request('PUT', '/v1/members/a0', { headers: auth(admin), body: { name: 'A 0', company: 'Acme', title: 'Engineer', visibility: 'private' } });
    expect(turned.status, turned.text).toBe(200);
    expect((await readBoth()).breakdowns.companies).toEqual({ buckets: [{ value: 'Acme', viewers: 5 }], other: 1 });
  });

  it('a connection, a block and an erase made through one instance show in the next read through both', async () => {
    const baseline = await readBoth();
    expect(baseline.breakdowns.degrees).toEqual({ buckets: [{ value: '3rd+', viewers: 6 }], other: 0 });
    expect((await b.request('PUT', '/v1/members/owner/connections/a1', { headers: auth(admin) })).status).toBe(200);
    const connected = await readBoth();
    expect(connected.breakdowns.degrees).toEqual({ buckets: [{ value: '3rd+', viewers: 5 }], other: 1 });
    expect((await a.request('DELETE', '/v1/members/owner/connections/a1', { headers: auth(admin) })).status).toBe(200);
    expect(await readBoth()).toEqual(baseline);

    expect((await a.request('PUT', '/v1/members/owner/blocks/a2', { headers: auth(admin) })).status).toBe(200);
    const blocked = await readBoth();
    expect([blocked.views, blocked.breakdowns.companies]).toEqual([6, { buckets: [{ value: 'Acme', viewers: 4 }], other: 1 }]);
    expect((await b.request('DELETE', '/v1/members/owner/blocks/a2', { headers: auth(admin) })).status).toBe(200);
    expect(await readBoth()).toEqual(baseline);

    // `other` never viewed the owner, so erasing them leaves the owner's projection as it is;
    // the connections that go with them make a1 a 2nd-degree viewer no more.
    expect((await a.request('PUT', '/v1/members/owner/connections/other', { headers: auth(admin) })).status).toBe(200);
    expect((await b.request('PUT', '/v1/members/other/connections/a1', { headers: auth(admin) })).status).toBe(200);
    expect((await readBoth()).breakdowns.degrees).toEqual({ buckets: [{ value: '3rd+', viewers: 5 }], other: 1 });
    expect((await b.request('DELETE', '/v1/members/other', { headers: auth(admin) })).status).toBe(204);
    expect(await readBoth()).toEqual(baseline);
  });

  it(`kept at most ${MAX_AGE_MS / 1000} s, in case a writer stopped between its commit and moving the version`, async () => {
    const kept = await readBoth();
    const before = computed();
    expect(await readBoth()).toEqual(kept);
    expect(computed()).toEqual(before);
    clock.advance(MAX_AGE_MS - 1);
    expect(await readBoth()).toEqual(kept);
    expect(computed()).toEqual(before);
    clock.advance(1);
    expect(await readBoth()).toEqual(kept);
    expect(computed()).toEqual(before.map((n) => n + 1));
  });
});
