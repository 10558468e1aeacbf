/**
 * The SQLite store's read cache must never be seen: every answer equals what the database
 * holds at that moment. Two stores are opened on one file, one with the cache and one without
 * it (which reads SQLite every time, so it is the reference). Writes go through either: through
 * the cached store itself, and through the other connection, which for the cached store is a
 * commit it did not make (like another WORKERS process or the CLI).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, type AcceptedVisit, type MemberInput, type Store, type VisitSource } from '../src/core/index.js';
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { sqliteBackend } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const WS = 'cache';
const W = 30 * 60_000;

function visit(profileId: string, viewerId: string, viewedAt: number, source: VisitSource = 'search'): AcceptedVisit {
  return { clientId: null, profileId, viewerId, viewedAt, source };
}

describe('SQLite read cache: answers always equal the database', () => {
  let cached: Store;
  let plain: Store;

  beforeEach(async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pv-cache-')), 'cache.db');
    cached = openSqliteStore({ path, synchronous: 'normal', migrate: true, readCacheBytes: 16 * 1024 * 1024 });
    plain = openSqliteStore({ path, synchronous: 'normal', migrate: true, readCacheBytes: 0 });
    await cached.workspaces.ensure(WS, WS);
    const members: MemberInput[] = ['owner', 'a', 'b', 'c', 'd', 'e'].map((id) => ({ id, name: `Name ${id}`, plan: 'premium' }));
    await cached.members.upsert(WS, members, 'replace', T0);
  });
  afterEach(async () => {
    await cached.close();
    await plain.close();
  });

  const page = (store: Store, since: number, offset = 0, limit = 10, profileId = 'owner') =>
    store.visits.listViewers({ workspaceId: WS, profileId, since, until: null, offset, limit });

  /** The cached store's answer, checked against the uncached one. */
  async function read(since: number, offset = 0, limit = 10, profileId = 'owner') {
    const got = await page(cached, since, offset, limit, profileId);
    expect(got).toEqual(await page(plain, since, offset, limit, profileId));
    return got;
  }

  it('visits stored by this store are listed at once', async () => {
    await cached.visits.record(WS, [visit('owner', 'a', T0 - DAY_MS)], W);
    expect((await read(0)).rows.map((r) => r.viewerId)).toEqual(['a']);
    await cached.visits.record(WS, [visit('owner', 'b', T0)], W);
    const after = await read(0);
    expect(after.total).toBe(2);
    expect(after.rows.map((r) => r.viewerId)).toEqual(['b', 'a']);
  });

  it('visits committed by another connection are listed at once', async () => {
    await cached.visits.record(WS, [visit('owner', 'a', T0 - DAY_MS)], W);
    expect((await read(0)).total).toBe(1);
    await plain.visits.record(WS, [visit('owner', 'b', T0), visit('owner', 'a', T0 + W)], W);
    const after = await read(0);
    expect(after.total).toBe(2);
    expect(after.rows.map((r) => [r.viewerId, r.viewCount])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
  });

  it('a member card changed by this store or by another connection is read fresh', async () => {
    expect((await cached.members.get(WS, 'a'))?.name).toBe('Name a');
    await cached.members.upsert(WS, [{ id: 'a', name: 'Renamed here', visibility: 'private' }], 'merge', T0);
    expect(await cached.members.get(WS, 'a')).toMatchObject({ name: 'Renamed here', visibility: 'private' });
    await plain.members.upsert(WS, [{ id: 'a', name: 'Renamed elsewhere' }], 'merge', T0);
    expect(await cached.members.get(WS, 'a')).toMatchObject({ name: 'Renamed elsewhere', visibility: 'private' });
    expect((await cached.members.getMany(WS, ['a', 'b'])).get('a')?.name).toBe('Renamed elsewhere');
  });

  it('connection lists follow connections made and removed here and by another connection', async () => {
    const around = async (ids: string[]) => {
      const got = await cached.connections.neighbors(WS, ids);
      expect(got).toEqual(await plain.connections.neighbors(WS, ids));
      return Object.fromEntries([...got].map(([id, list]) => [id, [...list].sort()]));
    };
    expect(await around(['a', 'b'])).toEqual({});
    await cached.connections.add(WS, 'a', 'b', T0);
    expect(await around(['a'])).toEqual({ a: ['b'] });
    await plain.connections.add(WS, 'a', 'c', T0);
    expect(await around(['a', 'c'])).toEqual({ a: ['b', 'c'], c: ['a'] });
    await plain.connections.remove(WS, 'a', 'b');
    expect(await around(['a', 'b'])).toEqual({ a: ['c'] });
    await cached.connections.remove(WS, 'c', 'a');
    expect(await around(['a', 'c'])).toEqual({});
    await cached.connections.add(WS, 'd', 'e', T0);
    await plain.members.erase(WS, 'e', T0);
    expect(await around(['d'])).toEqual({});
  });

  it('an unlimited key made metered, here or by another connection, is charged from the next call on', async () => {
    const id = 'key1';
    await cached.keys.create({ id, workspaceId: WS, secretHash: 'hash1', role: 'admin', memberId: null, name: null, credits: null, createdAt: T0 });
    expect(await cached.keys.charge(WS, id, 3)).toEqual({ ok: true, remaining: null });
    expect(await cached.keys.charge(WS, id, 3)).toEqual({ ok: true, remaining: null });
    await plain.keys.setCredits(WS, id, 5);
    expect(await cached.keys.charge(WS, id, 3)).toEqual({ ok: true, remaining: 2 });
    expect(await cached.keys.charge(WS, id, 3)).toEqual({ ok: false, remaining: 2 });
    await cached.keys.setCredits(WS, id, null);
    expect(await cached.keys.charge(WS, id, 3)).toEqual({ ok: true, remaining: null });
    await cached.keys.setCredits(WS, id, 1);
    expect(await cached.keys.charge(WS, id, 1)).toEqual({ ok: true, remaining: 0 });
    expect((await plain.keys.get(WS, id))?.credits).toBe(0);
  });

  it('an erased viewer leaves every cached list, erased here or by another connection', async () => {
    await cached.visits.record(WS, [visit('owner', 'a', T0), visit('owner', 'b', T0 + 1), visit('c', 'b', T0), visit('c', 'd', T0)], W);
    expect((await read(0)).total).toBe(2);
    expect((await read(0, 0, 10, 'c')).total).toBe(2);
    expect(await cached.members.existingIds(WS, ['b', 'd'])).toEqual(new Set(['b', 'd']));

    await cached.members.erase(WS, 'b', T0);
    expect((await read(0)).rows.map((r) => r.viewerId)).toEqual(['a']);
    expect((await read(0, 0, 10, 'c')).rows.map((r) => r.viewerId)).toEqual(['d']);
    expect(await cached.members.get(WS, 'b')).toBeUndefined();

    await plain.members.erase(WS, 'd', T0);
    expect((await read(0, 0, 10, 'c')).total).toBe(0);
    expect(await cached.members.existingIds(WS, ['b', 'd', 'a'])).toEqual(new Set(['a']));
    expect((await cached.members.getMany(WS, ['d', 'a'])).has('d')).toBe(false);
  });

  it('as the window moves on, a viewer whose last view leaves it leaves the total and the page', async () => {
    await cached.visits.record(WS, [visit('owner', 'a', T0 - 10 * DAY_MS), visit('owner', 'b', T0 - 5 * DAY_MS), visit('owner', 'c', T0)], W);
    const horizon = (now: number) => now - 90 * DAY_MS;
    // The same window sliding forward, a minute at a time around each boundary, and beyond.
    const nows = [T0, T0 + 80 * DAY_MS, T0 + 80 * DAY_MS + 1, T0 + 85 * DAY_MS - 1, T0 + 85 * DAY_MS, T0 + 85 * DAY_MS + 1, T0 + 89 * DAY_MS, T0 + 91 * DAY_MS];
    const totals = [];
    // A first page of one holds only the newest viewer: the total must still follow the oldest.
    for (const now of nows) totals.push([(await read(horizon(now))).total, (await read(horizon(now), 0, 1)).total]);
    expect(totals).toEqual([3, 3, 2, 2, 2, 1, 1, 0].map((n) => [n, n]));
  });

  it('with every visit folded, a short page keeps its total and oldest viewer exact as the window moves on', async () => {
    // Folded at once, so lists come from the summary alone: a page shorter than asked is the end
    // of the list, and its total and oldest viewer are taken from it.
    const path = join(mkdtempSync(join(tmpdir(), 'pv-cache-')), 'folded.db');
    const folded = openSqliteStore({ path, synchronous: 'normal', migrate: true, readCacheBytes: 16 * 1024 * 1024, fold: 'inline' });
    const reference = openSqliteStore({ path, synchronous: 'normal', migrate: true, readCacheBytes: 0, fold: 'inline' });
    try {
      await folded.workspaces.ensure(WS, WS);
      await folded.members.upsert(WS, ['owner', 'a', 'b', 'c'].map((id) => ({ id, plan: 'premium' as const })), 'replace', T0);
      await folded.visits.record(WS, [visit('owner', 'a', T0 - 10 * DAY_MS), visit('owner', 'b', T0 - 5 * DAY_MS), visit('owner', 'c', T0)], W);
      const nows = [T0, T0 + 80 * DAY_MS + 1, T0 + 85 * DAY_MS - 1, T0 + 85 * DAY_MS + 1, T0 + 89 * DAY_MS, T0 + 91 * DAY_MS];
      const seen = [];
      for (const now of nows) {
        const since = now - 90 * DAY_MS;
        const row = [];
        // The whole list, the rest after one, a page past the end, and a first page of one.
        for (const [offset, limit] of [[0, 10], [1, 10], [5, 10], [0, 1]] as const) {
          const got = await folded.visits.listViewers({ workspaceId: WS, profileId: 'owner', since, until: null, offset, limit });
          expect(got).toEqual(await reference.visits.listViewers({ workspaceId: WS, profileId: 'owner', since, until: null, offset, limit }));
          row.push(`${got.total}:${got.rows.map((r) => r.viewerId).join('')}`);
        }
        seen.push(row.join(' '));
      }
      expect(seen).toEqual(['3:cba 3:ba 3: 3:c', '2:cb 2:b 2: 2:c', '2:cb 2:b 2: 2:c', '1:c 1: 1: 1:c', '1:c 1: 1: 1:c', '0: 0: 0: 0:']);
    } finally {
      await folded.close();
      await reference.close();
    }
  });

  it('as the window moves on, a viewer whose oldest views leave it is counted with the views left', async () => {
    await cached.visits.record(
      WS,
      [visit('owner', 'a', T0 - 30 * DAY_MS), visit('owner', 'a', T0 - 20 * DAY_MS), visit('owner', 'a', T0 - 10 * DAY_MS), visit('owner', 'b', T0 - 25 * DAY_MS)],
      W,
    );
    const counts = [];
    for (const since of [T0 - 40 * DAY_MS, T0 - 30 * DAY_MS, T0 - 30 * DAY_MS + 1, T0 - 25 * DAY_MS, T0 - 20 * DAY_MS, T0 - 15 * DAY_MS, T0 - 10 * DAY_MS + 1]) {
      const p = await read(since);
      counts.push(p.rows.map((r) => `${r.viewerId}:${r.viewCount}`).join(' '));
    }
    expect(counts).toEqual(['a:3 b:1', 'a:3 b:1', 'a:2 b:1', 'a:2 b:1', 'a:2', 'a:1', '']);
  });

  it('an earlier `since` than the cached one is read again, not served from a narrower answer', async () => {
    await cached.visits.record(WS, [visit('owner', 'a', T0 - 10 * DAY_MS), visit('owner', 'b', T0)], W);
    expect((await read(T0 - DAY_MS)).total).toBe(1);
    expect((await read(T0 - 20 * DAY_MS)).total).toBe(2);
  });

  it('random writes through both connections and reads at random windows and pages always agree', async () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const ids = ['owner', 'a', 'b', 'c', 'd', 'e'];
    let now = T0;
    for (let step = 0; step < 400; step++) {
      const writer = rand(3) === 0 ? plain : cached;
      const op = rand(10);
      now += rand(4) * 6 * 60 * 60_000;
      if (op < 5) {
        const profile = ids[rand(3)]!;
        const viewer = ids[rand(ids.length)]!;
        if (profile !== viewer) await writer.visits.record(WS, [visit(profile, viewer, now - rand(30) * DAY_MS)], W);
      } else if (op < 7) {
        await writer.members.upsert(WS, [{ id: ids[rand(ids.length)]!, name: `n${step}`, visibility: rand(2) ? 'full' : 'private' }], 'merge', now);
      } else if (op === 7 && rand(8) === 0) {
        const victim = ids[1 + rand(ids.length - 1)]!;
        await writer.members.erase(WS, victim, now);
        await writer.members.upsert(WS, [{ id: victim, name: `back ${step}` }], 'replace', now);
      } else {
        const since = now - rand(40) * DAY_MS;
        const profile = ids[rand(3)]!;
        await read(since, rand(3), 1 + rand(4), profile);
        const wanted = ids.filter(() => rand(2) === 0);
        expect(await cached.members.getMany(WS, wanted)).toEqual(await plain.members.getMany(WS, wanted));
      }
    }
    expect((await read(0)).total).toBeGreaterThan(0);
  });
});

describe('SQLite read cache: one freshness check per request', () => {
  let first: TestApp;
  let second: TestApp;

  beforeEach(async () => {
    first = await startTestApp(sqliteBackend);
    // A second server on the same file: for the first, like another WORKERS process.
    second = await startTestApp(sqliteBackend, { clock: first.clock, databaseUrl: first.databaseUrl });
  });
  afterEach(async () => {
    await second.close();
    await first.close();
  });

  it('an unlimited key given a balance through another server is charged by the next LinkupAPI call', async () => {
    await first.members(WS, [{ id: 'owner', name: 'Owner', plan: 'premium' }, { id: 'v1', name: 'Viewer' }]);
    await first.store.visits.record(WS, [visit('owner', 'v1', first.clock.now() - 60_000)], W);
    const admin = await first.adminKey(WS);
    const created = await first.request('POST', '/v1/keys', { headers: { 'x-api-key': admin }, body: { role: 'admin', credits: null } });
    expect(created.status, created.text).toBe(201);
    const { id, secret } = created.body as { id: string; secret: string };
    const getViewers = () => first.request('POST', '/v2/profiles', { headers: { 'x-api-key': secret }, body: { account_id: 'owner', action: 'get_viewers' } });
    for (let i = 0; i < 3; i++) expect((await getViewers()).status).toBe(200);
    const balance = async () => {
      const res = await second.request('GET', '/v1/keys', { headers: { 'x-api-key': admin } });
      return (res.body as { keys: { id: string; credits: number | null }[] }).keys.find((k) => k.id === id)?.credits;
    };
    expect(await balance()).toBeNull();
    const put = await second.request('PUT', `/v1/keys/${id}/credits`, { headers: { 'x-api-key': admin }, body: { credits: 1 } });
    expect(put.status, put.text).toBe(200);
    const charged = await getViewers();
    expect(charged.status, charged.text).toBe(200);
    expect(charged.body.metadata.credits_consumed).toBe(1);
    expect(await balance()).toBe(0);
    const refused = await getViewers();
    expect(refused.status, refused.text).toBe(402);
  });

  it('a request to one server sees every write another server acknowledged before it was sent, in a burst of concurrent reads', async () => {
    await first.members(WS, [{ id: 'owner', name: 'Owner', plan: 'premium' }]);
    const key = await first.adminKey(WS);
    const headers = { 'x-api-key': key };
    const visitors = () => first.request('GET', '/v1/members/owner/visitors?limit=100', { headers });
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      // Reads of the first server are in flight (and fill its cache) while the second writes.
      const burst = Array.from({ length: 5 }, visitors);
      const viewer = `v${i}`;
      const put = await second.request('PUT', `/v1/members/${viewer}`, { headers, body: { name: `Viewer ${i}` } });
      expect(put.status, put.text).toBe(200);
      const rec = await second.request('POST', '/v1/visits', { headers, body: { profileId: 'owner', viewerId: viewer, viewedAt: first.clock.now() - i * 60_000 } });
      expect(rec.status, rec.text).toBe(201);
      seen.add(viewer);
      for (const r of await Promise.all(burst)) expect(r.status).toBe(200);
      // Sent after both acknowledgements: sees the new viewer with its card.
      const after = await visitors();
      expect(after.status).toBe(200);
      const names = new Map<string, string>(after.body.viewers.map((v: { viewer: { id: string; name: string } }) => [v.viewer.id, v.viewer.name]));
      expect(new Set(names.keys())).toEqual(seen);
      expect(names.get(viewer)).toBe(`Viewer ${i}`);
    }
  });
});
