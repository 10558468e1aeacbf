/**
 * Two stores (docs/architecture.md): a SQLite entity store beside a PostgreSQL visit store (and
 * the reverse) serve the app: visits recorded over HTTP are listed with the members' cards, the
 * workspace's insights count its viewers by their cards, erasing a member removes their
 * visits too, and the retention purge walks the entity store's workspaces. The visit store's contract on its own, in a database where no workspace or member
 * exists, is in store-conformance.test.ts (the same cases as the whole store's).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ProjectionRunner, purgeExpiredVisits, slotOf } from '../src/core/index.js';
import { composeStores } from '../src/storage/compose-stores.js';
import { openStores } from '../src/storage/open-store.js';
import { auth } from './support/assertions.js';
import { postgresAvailable, postgresBackend, sqliteBackend, testStoreConfig } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const WS = 'two';

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
      // The workspace's viewers by visibility: named by the visit store, counted by the entity store's cards.
      await t.members(WS, [{ id: 'b', name: 'Bob', plan: 'premium', company: 'Globex', visibility: 'private' }]);
      const report = async () => {
        const res = await t!.request('GET', '/v1/insights?range=7d&tz=UTC', { headers: auth(admin) });
        expect(res.status, res.text).toBe(200);
        return [res.body.viewers, res.body.viewerVisibility.full.viewers, res.body.viewerVisibility.private.viewers];
      };
      expect(await report()).toEqual([2, 1, 1]);
      await t.members(WS, [{ id: 'b', name: 'Bob', plan: 'premium', company: 'Globex' }]);
      expect(await report()).toEqual([2, 2, 0]);
      expect((await t.request('DELETE', '/v1/members/a', { headers: auth(admin) })).status).toBe(204);
      expect(await report()).toEqual([1, 1, 0]);
      expect(await names()).toEqual(['Bob']);
      // Gone from the visit store itself, not just hidden by the missing card.
      expect(await store.visits.viewedBy(WS, 'a', '', 10)).toEqual([]);
      expect((await store.visitLog.read(WS, 0, 10)).map((e) => e.viewerId)).toEqual(['b']);
      // Retention walks the entity store's workspaces and purges in the visit store.
      t.clock.advance(400 * 86_400_000);
      const purged = await purgeExpiredVisits({ store, clock: t.clock });
      expect(purged.workspaces.map((w) => w.workspaceId)).toEqual([WS]);
      expect(await names()).toEqual([]);
      expect(await store.visits.viewedBy(WS, 'b', '', 10)).toEqual([]);
      expect(await store.visitLog.read(WS, 0, 10)).toEqual([]);
      expect((await composeStores(store, store)) === store).toBe(true);
    });
  }
});
