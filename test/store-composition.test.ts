/**
 * Two stores (docs/architecture.md): the visit store's contract holds on its own, on every
 * backend, in a database where no workspace or member exists; and a SQLite entity store beside
 * a PostgreSQL visit store (and the reverse) serve the app: visits recorded over HTTP are
 * listed with the members' cards, and erasing a member removes their visits too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ProjectionRunner, slotOf, type AcceptedVisit, type Store } from '../src/core/index.js';
import { composeStores, visitStoreOf } from '../src/storage/compose-stores.js';
import { openStores } from '../src/storage/open-store.js';
import { auth } from './support/assertions.js';
import { BACKENDS, openFreshStore, postgresAvailable, postgresBackend, sqliteBackend, testStoreConfig } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const WS = 'two';
const W = 30 * 60_000;
const visit = (profileId: string, viewerId: string, viewedAt: number, clientId: string | null = null): AcceptedVisit => ({
  clientId,
  profileId,
  viewerId,
  viewedAt,
  source: 'search',
});

describe.each(BACKENDS)('the visit store on its own ($name)', (backend) => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('records, lists, logs and answers by client id without any workspace or member in its database', async () => {
    store = (await openFreshStore(backend)).store;
    const v = visitStoreOf(store);
    const outcomes = await v.visits.record(WS, [visit('o', 'a', T0, 'c1'), visit('o', 'b', T0 + 1), visit('o', 'a', T0 + 2), visit('o', 'a', T0 + W + 5)], W);
    expect(outcomes.map((o) => o.status)).toEqual(['recorded', 'recorded', 'deduplicated', 'recorded']);
    expect((await v.visits.record(WS, [visit('o', 'a', T0, 'c1')], W))[0]!.status).toBe('replayed');
    const page = await v.visits.listViewers({ workspaceId: WS, profileId: 'o', since: 0, until: null, offset: 0, limit: 10 });
    expect(page.total).toBe(2);
    expect(page.rows.map((r) => [r.viewerId, r.viewCount])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect((await v.visits.byClientIds(WS, ['c1', 'nope'])).get('c1')).toEqual({ profileId: 'o', viewerId: 'a', viewedAt: T0 });
    expect((await v.visits.viewedBy(WS, 'a', '', 10)).map((p) => [p.profileId, p.viewCount])).toEqual([['o', 2]]);
    const log = await v.visitLog.read(WS, 0, 10);
    expect(log.map((e) => e.viewerId)).toEqual(['a', 'b', 'a']);
    expect(log.map((e) => e.position)).toEqual([...log.map((e) => e.position)].sort((x, y) => x - y));
    expect(v.projections.map((p) => p.name)).toContain('summary');
  });
});

const composedName = 'a SQLite entity store beside a PostgreSQL visit store, and the reverse';
describe.skipIf(!postgresAvailable())(postgresAvailable() ? composedName : `${composedName} (skipped: PostgreSQL unavailable)`, () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  for (const [entities, visits] of [
    [sqliteBackend, postgresBackend],
    [postgresBackend, sqliteBackend],
  ] as const) {
    it(`entities on ${entities.name}, visits on ${visits.name}: the app records, lists with cards, and erases across both`, async () => {
      const { store } = await openStores({ ...testStoreConfig(await entities.freshUrl()), visitsDatabaseUrl: await visits.freshUrl() });
      t = await startTestApp(entities, { store });
      expect(store.kind).toBe(entities.name);
      const admin = await t.adminKey(WS);
      await t.members(WS, [
        { id: 'o', name: 'Owner', plan: 'premium' },
        { id: 'a', name: 'Ann', plan: 'premium', company: 'Acme' },
        { id: 'b', name: 'Bob', plan: 'premium', company: 'Globex' },
      ]);
      for (const viewerId of ['a', 'b']) {
        const res = await t.request('POST', '/v1/visits', { headers: auth(admin), body: { profileId: 'o', viewerId } });
        expect(res.status, res.text).toBeLessThan(300);
      }
      // An unknown viewer is still refused: the rule asks the entity store.
      expect((await t.request('POST', '/v1/visits', { headers: auth(admin), body: { profileId: 'o', viewerId: 'ghost' } })).status).toBeGreaterThanOrEqual(400);
      const names = async () => {
        const res = await t!.request('GET', '/v1/members/o/visitors', { headers: auth(admin) });
        expect(res.status, res.text).toBe(200);
        return res.body.viewers.map((v: { viewer: { name: string } }) => v.viewer.name).sort();
      };
      expect(await names()).toEqual(['Ann', 'Bob']);
      // Insights' viewers of a range carry their traits from the entity store.
      await new ProjectionRunner(store.visitLog, store.projections).runOnce();
      const ranged = await store.insights.rangeViewers(WS, 'o', 0, slotOf(Date.UTC(2100, 0, 1)), []);
      expect(ranged.map((r) => [r.viewerId, r.viewer?.company]).sort()).toEqual([
        ['a', 'Acme'],
        ['b', 'Globex'],
      ]);
      expect((await t.request('DELETE', '/v1/members/a', { headers: auth(admin) })).status).toBe(204);
      expect(await names()).toEqual(['Bob']);
      // Gone from the visit store itself, not just hidden by the missing card.
      expect(await store.visits.viewedBy(WS, 'a', '', 10)).toEqual([]);
      expect((await store.visitLog.read(WS, 0, 10)).map((e) => e.viewerId)).toEqual(['b']);
      expect((await composeStores(store, store)) === store).toBe(true);
    });
  }
});
