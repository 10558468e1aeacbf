/**
 * Blocks (docs/privacy-controls.md): between two members with a block in either direction,
 * neither appears among the other's viewers on any surface, totals included, from the moment
 * the block is acknowledged and for past visits too; visits between them are acknowledged and
 * not stored; removing the block shows again only what was stored before it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type HttpResponse, type TestApp } from './support/test-app.js';
import { auth, expectNativeError, postBatch } from './support/assertions.js';
import { SURFACES, entriesOf, type Surface } from './fixtures/surfaces.js';

/** The total a surface reports (Networked has none: its page length stands in). */
function totalOf(surface: Surface, res: HttpResponse): number {
  switch (surface.name) {
    case 'native':
      return res.body.total;
    case 'LinkupAPI':
      return res.body.data.pagination.total;
    case 'ConnectSafely':
      return res.body.pagination.total;
    case 'Networked':
      return res.body.data.content.length;
  }
}

describe.each(BACKENDS)('blocks on $name', (backend) => {
  let t: TestApp;
  let n = 0;
  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(() => t.close());

  async function world() {
    const ws = `blocks-${++n}`;
    await t.members(ws, [
      { id: 'owner', name: 'Olga Owner', plan: 'premium' },
      { id: 'pest', name: 'Peter Pest', headline: 'Persistent Viewer', plan: 'premium' },
      { id: 'kind', name: 'Kim Kind' },
      { id: 'other', name: 'Otto Other' },
    ]);
    const admin = await t.adminKey(ws);
    const ownerKey = await t.memberKey(ws, 'owner');
    const pestKey = await t.memberKey(ws, 'pest');
    const kindKey = await t.memberKey(ws, 'kind');
    const now = t.clock.now();
    await postBatch(t, admin, [
      { profileId: 'owner', viewerId: 'pest', viewedAt: now - 3_600_000 },
      { profileId: 'owner', viewerId: 'kind', viewedAt: now - 7_200_000 },
      { profileId: 'pest', viewerId: 'owner', viewedAt: now - 3_600_000 },
      { profileId: 'pest', viewerId: 'kind', viewedAt: now - 60_000 },
    ]);
    return { ws, admin, ownerKey, pestKey, kindKey };
  }

  const labels = async (surface: Surface, key: string, ownerId: string) => {
    const { res, entries } = await entriesOf(surface, t, { key, ownerId });
    return { labels: entries.map((e) => e.label), total: totalOf(surface, res), text: res.text };
  };

  it.each(SURFACES.map((s) => [s.name, s] as const))('hides both members from each other on %s, totals included, and unblocking restores', async (_name, surface) => {
    const w = await world();
    expect(await labels(surface, w.ownerKey, 'owner')).toMatchObject({ labels: ['Peter Pest', 'Kim Kind'], total: 2 });
    expect((await labels(surface, w.pestKey, 'pest')).labels).toEqual(['Kim Kind', 'Olga Owner']);

    const put = await t.request('PUT', '/v1/members/owner/blocks/pest', { headers: auth(w.ownerKey) });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toEqual({ memberId: 'owner', otherId: 'pest', blocked: true, changed: true });

    const owner = await labels(surface, w.ownerKey, 'owner');
    expect(owner).toMatchObject({ labels: ['Kim Kind'], total: 1 });
    for (const secret of ['Peter Pest', 'Persistent Viewer', 'pest']) expect(owner.text).not.toContain(secret);
    // The other direction too: the blocked member no longer sees the one who blocked them.
    const pest = await labels(surface, w.pestKey, 'pest');
    expect(pest).toMatchObject({ labels: ['Kim Kind'], total: 1 });
    expect(pest.text).not.toContain('Olga');

    const del = await t.request('DELETE', '/v1/members/owner/blocks/pest', { headers: auth(w.ownerKey) });
    expect(del.body).toEqual({ memberId: 'owner', otherId: 'pest', blocked: false, changed: true });
    expect(await labels(surface, w.ownerKey, 'owner')).toMatchObject({ labels: ['Peter Pest', 'Kim Kind'], total: 2 });
    expect((await labels(surface, w.pestKey, 'pest')).labels).toEqual(['Kim Kind', 'Olga Owner']);
  });

  it('acknowledges visits between blocked members without storing them; unblocking restores only what came before', async () => {
    const w = await world();
    await t.request('PUT', '/v1/members/pest/blocks/owner', { headers: auth(w.pestKey) });
    const now = t.clock.now();
    const one = await t.request('POST', '/v1/visits', { headers: auth(w.admin), body: { profileId: 'owner', viewerId: 'pest', viewedAt: now, id: 'v-blocked' } });
    expect(one.status, one.text).toBe(200);
    expect(one.body).toEqual({ status: 'blocked', visitId: 'v-blocked' });
    const batch = await postBatch(t, w.admin, [
      { profileId: 'pest', viewerId: 'owner', viewedAt: now - 1000 },
      { profileId: 'owner', viewerId: 'kind', viewedAt: now - 1000 },
      // An inline profile of a blocked visit is not written either.
      { profileId: 'owner', viewerId: 'pest', viewedAt: now - 2000, viewer: { name: 'Renamed Pest' } },
    ]);
    expect(batch).toMatchObject({ recorded: 1, ignored: 2, rejected: 0 });
    expect(batch.results.map((r) => r.status)).toEqual(['blocked', 'recorded', 'blocked']);
    expect((await t.request('GET', '/v1/members/pest', { headers: auth(w.admin) })).body.name).toBe('Peter Pest');

    await t.request('DELETE', '/v1/members/pest/blocks/owner', { headers: auth(w.admin) });
    const list = await t.request('GET', '/v1/members/owner/visitors', { headers: auth(w.ownerKey) });
    expect(list.body.total).toBe(2);
    const pest = list.body.viewers.find((v: any) => v.viewer?.id === 'pest');
    expect(pest).toMatchObject({ viewCount: 1, lastViewedAt: now - 3_600_000 });
    // Stored nothing: a retry of the blocked visit's id, now unblocked, is a first recording.
    const retry = await t.request('POST', '/v1/visits', { headers: auth(w.admin), body: { profileId: 'owner', viewerId: 'pest', viewedAt: now, id: 'v-blocked' } });
    expect(retry.body).toEqual({ status: 'recorded', visitId: 'v-blocked' });
  });

  it('leaves blocked viewers out of bounded ranges and later pages, counts included', async () => {
    const w = await world();
    const now = t.clock.now();
    const visits = [];
    for (let i = 0; i < 30; i++) visits.push({ profileId: 'owner', viewerId: `m${String(i).padStart(2, '0')}`, viewedAt: now - 10_000 * (i + 1), viewer: { name: `M ${i}` } });
    await postBatch(t, w.admin, visits);
    await t.request('PUT', '/v1/members/owner/blocks/m00', { headers: auth(w.admin) });
    await t.request('PUT', '/v1/members/m15/blocks/owner', { headers: auth(w.admin) });
    const page = async (q: string) => (await t.request('GET', `/v1/members/owner/visitors?${q}`, { headers: auth(w.ownerKey) })).body;
    const ids = (b: any) => b.viewers.map((v: any) => v.viewer.id);
    const open = await page('limit=20&offset=0');
    // 30 new viewers and 2 from world(), less the two blocked.
    expect(open.total).toBe(30);
    expect(ids(open)).not.toContain('m00');
    const second = await page('limit=20&offset=20');
    expect(ids(second)).toHaveLength(10);
    expect([...ids(open), ...ids(second)]).not.toContain('m15');
    const bounded = await page(`since=${now - 200_000}&until=${now - 5_000}&limit=100`);
    // m00..m19 fall in range; m00 and m15 are blocked.
    expect(bounded.total).toBe(18);
    expect(ids(bounded)).toHaveLength(18);
    expect(ids(bounded)).not.toContain('m00');
    expect(ids(bounded)).not.toContain('m15');
  });

  it('lets a member manage only their own blocks; admins manage anyone\'s', async () => {
    const w = await world();
    expectNativeError(await t.request('PUT', '/v1/members/owner/blocks/pest', { headers: auth(w.kindKey) }), 403);
    expectNativeError(await t.request('DELETE', '/v1/members/owner/blocks/pest', { headers: auth(w.kindKey) }), 403);
    expectNativeError(await t.request('GET', '/v1/members/owner/blocks', { headers: auth(w.kindKey) }), 403);
    expectNativeError(await t.request('PUT', '/v1/members/kind/blocks/kind', { headers: auth(w.kindKey) }), 400, /themselves/);
    expectNativeError(await t.request('PUT', '/v1/members/kind/blocks/nobody', { headers: auth(w.kindKey) }), 404);
    expectNativeError(await t.request('PUT', '/v1/members/kind/blocks/pest', {}), 401);

    expect((await t.request('PUT', '/v1/members/kind/blocks/pest', { headers: auth(w.kindKey) })).status).toBe(200);
    const again = await t.request('PUT', '/v1/members/kind/blocks/pest', { headers: auth(w.kindKey) });
    expect(again.body.changed).toBe(false);
    t.clock.advance(1000);
    expect((await t.request('PUT', '/v1/members/kind/blocks/other', { headers: auth(w.admin) })).status).toBe(200);
    const mine = await t.request('GET', '/v1/members/kind/blocks', { headers: auth(w.kindKey) });
    expect(mine.body.blocks.map((b: any) => b.blockedId)).toEqual(['pest', 'other']);
    // Who blocked you is not yours to list.
    expect((await t.request('GET', '/v1/members/pest/blocks', { headers: auth(w.pestKey) })).body.blocks).toEqual([]);
    const gone = await t.request('DELETE', '/v1/members/kind/blocks/owner', { headers: auth(w.kindKey) });
    expect(gone.body).toMatchObject({ blocked: false, changed: false });
  });

  it('removes a member\'s blocks, made and received, when they are erased', async () => {
    const w = await world();
    await t.request('PUT', '/v1/members/owner/blocks/pest', { headers: auth(w.admin) });
    await t.request('PUT', '/v1/members/kind/blocks/owner', { headers: auth(w.admin) });
    expect((await t.request('DELETE', '/v1/members/owner', { headers: auth(w.admin) })).status).toBe(204);
    expect((await t.request('GET', '/v1/members/kind/blocks', { headers: auth(w.admin) })).body.blocks).toEqual([]);
    // Recreated under the same id, the member starts without blocks.
    await t.request('PUT', '/v1/members/owner', { headers: auth(w.admin), body: { name: 'New Owner' } });
    expect((await t.request('GET', '/v1/members/owner/blocks', { headers: auth(w.admin) })).body.blocks).toEqual([]);
    const rec = await t.request('POST', '/v1/visits', { headers: auth(w.admin), body: { profileId: 'pest', viewerId: 'owner' } });
    expect(rec.body.status).toBe('recorded');
  });

  it('keeps blocks within their workspace', async () => {
    const a = await world();
    const b = await world();
    await t.request('PUT', '/v1/members/owner/blocks/pest', { headers: auth(a.admin) });
    expect((await t.request('GET', '/v1/members/owner/blocks', { headers: auth(b.admin) })).body.blocks).toEqual([]);
    const list = await t.request('GET', '/v1/members/owner/visitors', { headers: auth(b.ownerKey) });
    expect(list.body.total).toBe(2);
    const rec = await t.request('POST', '/v1/visits', { headers: auth(b.admin), body: { profileId: 'owner', viewerId: 'pest' } });
    expect(rec.body.status).toBe('recorded');
    // Another workspace's admin key acts on its own members of the same ids, never on these.
    const del = await t.request('DELETE', '/v1/members/owner/blocks/pest', { headers: auth(b.admin) });
    expect(del.body).toMatchObject({ blocked: false, changed: false });
    expect((await t.request('GET', '/v1/members/owner/blocks', { headers: auth(a.admin) })).body.blocks).toHaveLength(1);
    expect((await t.request('GET', '/v1/members/owner/visitors', { headers: auth(a.ownerKey) })).body.total).toBe(1);
  });
});

/**
 * SQLite merges visits still in the inbox into every list: a blocked viewer's pending views must
 * be left out of the merge too, and the cached pages must not outlive a block. Driven through
 * the core with folding held back, so that the same list is read pending, then folded.
 */
describe('blocks over pending and folded visits on SQLite', () => {
  it('leaves blocked viewers out whether their views are pending or folded, by either plan of a range', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openSqliteStore } = await import('../src/storage/sqlite/sqlite-store.js');
    const { foldPending } = await import('../src/storage/sqlite/fold.js');
    const core = await import('../src/core/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'pv-blocks-'));
    // byViewerFrom 1: closed ranges take the by-viewer plan; the default takes the by-time one.
    for (const byViewerFrom of [1, undefined]) {
      const store = openSqliteStore({ path: join(dir, `b${byViewerFrom}.db`), synchronous: 'normal', migrate: true, readCacheBytes: 1 << 20, fold: 'manual', byViewerFrom });
      try {
        const clock = { now: () => Date.UTC(2026, 10, 1) };
        const deps = { store, clock };
        const ws = await core.ensureWorkspace(deps, 'w');
        await store.members.upsert('w', ['o', 'a', 'b', 'c'].map((id) => ({ id, plan: 'premium' as const })), 'replace', clock.now());
        const now = clock.now();
        await core.recordVisits(deps, ws, [
          { profileId: 'o', viewerId: 'a', viewedAt: now - 5 * 3_600_000 },
          { profileId: 'o', viewerId: 'b', viewedAt: now - 4 * 3_600_000 },
        ]);
        foldPending(store.raw, 1000);
        await core.recordVisits(deps, ws, [
          { profileId: 'o', viewerId: 'b', viewedAt: now - 1_000 },
          { profileId: 'o', viewerId: 'c', viewedAt: now - 2_000 },
        ]);
        const list = async (range: { since?: number; until?: number }) => {
          const p = await core.listViewers(deps, ws, { ownerId: 'o', offset: 0, limit: 10, ...range });
          return { total: p.total, ids: p.viewers.map((v) => v.identity?.id) };
        };
        const ranges = [{}, { since: now - 6 * 3_600_000, until: now }];
        for (const r of ranges) expect(await list(r)).toEqual({ total: 3, ids: ['b', 'c', 'a'] });
        await core.blockMember(deps, ws, 'b', 'o');
        // b is folded and pending at once: left out of both.
        for (const r of ranges) expect(await list(r)).toEqual({ total: 2, ids: ['c', 'a'] });
        foldPending(store.raw, 1000);
        for (const r of ranges) expect(await list(r)).toEqual({ total: 2, ids: ['c', 'a'] });
        await core.unblockMember(deps, ws, 'b', 'o');
        for (const r of ranges) expect(await list(r)).toEqual({ total: 3, ids: ['b', 'c', 'a'] });
      } finally {
        await store.close();
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
