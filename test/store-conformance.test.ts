/**
 * The store contract, method by method, run once per backend: whatever SQLite answers,
 * PostgreSQL must answer the same. Then once more per pairing of one backend's entity store
 * with the other's visit store (docs/architecture.md): the two stores must answer the same
 * whether they share a database or not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, connectionDegrees, type AcceptedVisit, type Store, type VisitSource } from '../src/core/index.js';
import type { PostgresStore } from '../src/storage/postgres/postgres-store.js';
import { openStore, openStores } from '../src/storage/open-store.js';
import { BACKENDS, dropPostgresDatabase, openFreshStore, postgresAvailable, postgresBackend, sqliteBackend, testStoreConfig, type TestBackend } from './support/backends.js';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const MIN = 60_000;
const W = 30 * MIN;

function visit(profileId: string, viewerId: string, viewedAt: number, source: VisitSource = 'search', clientId: string | null = null): AcceptedVisit {
  return { clientId, profileId, viewerId, viewedAt, source };
}

/** Where the entity store and the visit store live: one backend for both, or one each. */
const SETUPS: { name: string; entities: TestBackend; visits: TestBackend }[] = [
  ...BACKENDS.map((b) => ({ name: b.name, entities: b, visits: b })),
  ...(postgresAvailable()
    ? [
        { name: 'sqlite entities + postgres visits', entities: sqliteBackend, visits: postgresBackend },
        { name: 'postgres entities + sqlite visits', entities: postgresBackend, visits: sqliteBackend },
      ]
    : []),
];

describe.each(SETUPS)('store conformance on $name', (setup) => {
  /** The entity store's backend (connections, members). */
  const backend = setup.entities;
  let store: Store;
  /** The entity store's database. */
  let url: string;
  let visitsUrl: string;
  beforeAll(async () => {
    url = await setup.entities.freshUrl();
    visitsUrl = setup.visits === setup.entities ? url : await setup.visits.freshUrl();
    ({ store } = await openStores({ ...testStoreConfig(url), visitsDatabaseUrl: visitsUrl }));
  });
  afterAll(async () => {
    await store.close();
    if (setup.entities.name === 'postgres') await dropPostgresDatabase(url);
    if (setup.visits.name === 'postgres' && visitsUrl !== url) await dropPostgresDatabase(visitsUrl);
  });

  const statuses = async (ws: string, visits: AcceptedVisit[], windowMs = W) => (await store.visits.record(ws, visits, windowMs)).map((o) => o.status);

  describe('workspaces', () => {
    it('ensure creates a workspace with the default settings, then returns it unchanged', async () => {
      expect(await store.workspaces.get('ws-new')).toBeUndefined();
      const created = await store.workspaces.ensure('ws-new', 'First name');
      expect(created).toMatchObject({ id: 'ws-new', name: 'First name', settings: DEFAULT_SETTINGS });
      expect(typeof created.createdAt).toBe('number');
      const again = await store.workspaces.ensure('ws-new', 'Other name');
      expect(again).toEqual(created);
      expect(await store.workspaces.get('ws-new')).toEqual(created);
    });

    it('updateSettings stores every setting and returns the workspace', async () => {
      await store.workspaces.ensure('ws-settings', 'Settings');
      const settings = { ...DEFAULT_SETTINGS, dedupWindowMs: 5 * MIN, freeFullViewers: 3, urnPrefix: 'urn:x:' };
      const updated = await store.workspaces.updateSettings('ws-settings', settings);
      expect(updated.settings).toEqual(settings);
      expect((await store.workspaces.get('ws-settings'))!.settings).toEqual(settings);
      expect((await store.workspaces.get('ws-new'))!.settings).toEqual(DEFAULT_SETTINGS);
    });
  });

  describe('members', () => {
    it('upsert replace sets every field: absent ones become null or the default, createdAt stays', async () => {
      const [first] = await store.members.upsert(
        'm',
        [
          {
            id: 'ann',
            name: 'Ann',
            headline: 'CTO',
            title: 'Chief Technology Officer',
            imageUrl: 'https://img/ann',
            company: 'Acme',
            industry: 'Software',
            location: 'Paris',
            publicIdentifier: 'ann-a',
            profileUrl: 'https://p/ann',
            plan: 'premium',
            visibility: 'characteristics',
          },
        ],
        'replace',
        1000,
      );
      expect(first).toEqual({
        id: 'ann',
        name: 'Ann',
        headline: 'CTO',
        title: 'Chief Technology Officer',
        imageUrl: 'https://img/ann',
        company: 'Acme',
        industry: 'Software',
        location: 'Paris',
        publicIdentifier: 'ann-a',
        profileUrl: 'https://p/ann',
        plan: 'premium',
        visibility: 'characteristics',
        createdAt: 1000,
        updatedAt: 1000,
      });
      const [replaced] = await store.members.upsert('m', [{ id: 'ann', headline: 'CEO' }], 'replace', 2000);
      expect(replaced).toEqual({
        id: 'ann',
        name: null,
        headline: 'CEO',
        title: null,
        imageUrl: null,
        company: null,
        industry: null,
        location: null,
        publicIdentifier: null,
        profileUrl: null,
        plan: 'free',
        visibility: 'full',
        createdAt: 1000,
        updatedAt: 2000,
      });
      expect(await store.members.get('m', 'ann')).toEqual(replaced);
    });

    it('upsert merge keeps stored values for absent fields, including plan and visibility', async () => {
      await store.members.upsert('m', [{ id: 'bob', name: 'Bob', company: 'Initech', plan: 'premium', visibility: 'private' }], 'replace', 1000);
      const [merged] = await store.members.upsert('m', [{ id: 'bob', headline: 'Engineer', company: 'Globex' }], 'merge', 3000);
      expect(merged).toMatchObject({
        id: 'bob',
        name: 'Bob',
        headline: 'Engineer',
        company: 'Globex',
        plan: 'premium',
        visibility: 'private',
        createdAt: 1000,
        updatedAt: 3000,
      });
    });

    it('upsert merge creates absent members with the defaults', async () => {
      const [created] = await store.members.upsert('m', [{ id: 'cy', name: 'Cy' }], 'merge', 4000);
      expect(created).toMatchObject({ id: 'cy', name: 'Cy', headline: null, plan: 'free', visibility: 'full', createdAt: 4000, updatedAt: 4000 });
    });

    it('a batch naming one member twice ends as if applied in order, and answers one member per input', async () => {
      const merged = await store.members.upsert(
        'm',
        [
          { id: 'dup-m', name: 'First', company: 'A' },
          { id: 'other', name: 'Other' },
          { id: 'dup-m', headline: 'Later', company: 'B' },
        ],
        'merge',
        5000,
      );
      expect(merged.map((m) => m.id)).toEqual(['dup-m', 'other', 'dup-m']);
      expect(merged[0]).toMatchObject({ name: 'First', headline: 'Later', company: 'B' });
      expect(merged[2]).toEqual(merged[0]);
      const replaced = await store.members.upsert(
        'm',
        [
          { id: 'dup-r', name: 'First', company: 'A', plan: 'premium' },
          { id: 'dup-r', headline: 'Last wins' },
        ],
        'replace',
        5000,
      );
      expect(replaced[1]).toMatchObject({ id: 'dup-r', name: null, company: null, headline: 'Last wins', plan: 'free' });
    });

    it('get, getMany and existingIds see only the workspace asked about', async () => {
      await store.members.upsert('m-other', [{ id: 'ann', name: 'Another Ann' }], 'replace', 1000);
      expect((await store.members.get('m', 'ann'))!.name).toBeNull();
      expect((await store.members.get('m-other', 'ann'))!.name).toBe('Another Ann');
      expect(await store.members.get('m', 'nobody')).toBeUndefined();
      const many = await store.members.getMany('m', ['ann', 'bob', 'nobody']);
      expect([...many.keys()].sort()).toEqual(['ann', 'bob']);
      expect(many.get('bob')!.name).toBe('Bob');
      expect((await store.members.getMany('m', [])).size).toBe(0);
      expect(await store.members.existingIds('m', ['ann', 'cy', 'nobody'])).toEqual(new Set(['ann', 'cy']));
      expect(await store.members.existingIds('m-other', ['ann', 'cy'])).toEqual(new Set(['ann']));
      expect(await store.members.existingIds('m', [])).toEqual(new Set());
    });

    it('existingIds answers a long list of ids, none of them cached, with exactly the stored ones', async () => {
      // Upserting caches the members it wrote: a second store on the same database, without a
      // read cache, reads them all from the database (SQLite checks a long list in one query).
      const crowd = Array.from({ length: 12 }, (_, i) => `crowd-${String(i).padStart(2, '0')}`);
      await store.members.upsert('m-crowd', crowd.map((id) => ({ id })), 'replace', 1000);
      const other = await openStore({ ...testStoreConfig(url), readCacheMb: 0 });
      try {
        const asked = [...crowd, 'ghost-a', 'ghost-b', 'ghost-c'];
        expect([...(await other.members.existingIds('m-crowd', asked))].sort()).toEqual(crowd);
        expect(await other.members.existingIds('m', crowd)).toEqual(new Set());
        expect(await other.members.existingIds('m-crowd', ['crowd-03', 'ghost-a'])).toEqual(new Set(['crowd-03']));
      } finally {
        await other.close();
      }
    });
  });

  describe('members: the member-change log', () => {
    const log = async (ws: string) => (await store.memberChanges.read(ws, 0, 100)).map((c) => [c.position, c.kind, c.memberId, c.changedAt]);
    const head = async (ws: string) => (await store.memberChanges.heads()).find((h) => h.workspaceId === ws)?.position;

    it('logs each member created, changed or erased with the write, in order; a write that changes nothing logs nothing', async () => {
      expect(await log('mc')).toEqual([]);
      expect(await head('mc')).toBeUndefined();
      // One entry per member, in member id order within a write, whatever the input order.
      await store.members.upsert('mc', [{ id: 'zed', name: 'Zed' }, { id: 'amy', name: 'Amy' }], 'replace', 1000);
      const [same] = await store.members.upsert('mc', [{ id: 'amy', name: 'Amy' }], 'replace', 2000);
      expect(same).toMatchObject({ id: 'amy', name: 'Amy', createdAt: 1000, updatedAt: 1000 });
      await store.members.upsert('mc', [{ name: 'Amy', id: 'amy' }, { id: 'zed', headline: 'new' }], 'merge', 3000);
      const [changed] = await store.members.upsert('mc', [{ id: 'amy', plan: 'premium' }], 'merge', 4000);
      expect(changed).toMatchObject({ name: 'Amy', plan: 'premium', updatedAt: 4000 });
      // Created and changed in one batch: logged once, as created.
      await store.members.upsert('mc', [{ id: 'bo', name: 'Bo' }, { id: 'bo', name: 'Bo 2' }], 'merge', 5000);
      expect(await store.members.erase('mc', 'zed', 6000)).toBe(true);
      expect(await store.members.erase('mc', 'zed', 7000)).toBe(false);
      expect(await log('mc')).toEqual([
        [1, 'created', 'amy', 1000],
        [2, 'created', 'zed', 1000],
        [3, 'updated', 'zed', 3000],
        [4, 'updated', 'amy', 4000],
        [5, 'created', 'bo', 5000],
        [6, 'erased', 'zed', 6000],
      ]);
      expect((await store.memberChanges.read('mc', 3, 2)).map((c) => c.position)).toEqual([4, 5]);
    });

    it('keeps each workspace its own positions; pruning removes entries, never a position', async () => {
      await store.members.upsert('mc-other', [{ id: 'amy', name: 'Other Amy' }], 'replace', 1000);
      expect(await log('mc-other')).toEqual([[1, 'created', 'amy', 1000]]);
      expect(await store.memberChanges.prune('mc', 4)).toBe(4);
      expect((await log('mc')).map(([p]) => p)).toEqual([5, 6]);
      expect(await log('mc-other')).toHaveLength(1);
      await store.members.upsert('mc', [{ id: 'cal', name: 'Cal' }], 'replace', 8000);
      expect(await store.memberChanges.prune('mc', 6)).toBe(2);
      expect(await log('mc')).toEqual([[7, 'created', 'cal', 8000]]);
      expect(await head('mc')).toBe(7);
    });
  });

  describe('connections', () => {
    // o - a - b - c - d, and x alone; an edge in another workspace must not count.
    beforeAll(async () => {
      for (const [p, q] of [
        ['o', 'a'],
        ['b', 'a'],
        ['b', 'c'],
        ['c', 'd'],
      ]) {
        expect(await store.connections.add('g', p!, q!, 1000)).toBe(true);
      }
      await store.connections.add('g-other', 'o', 'x', 1000);
    });

    it('add answers false for a connection that exists, in either direction', async () => {
      expect(await store.connections.add('g', 'o', 'a', 2000)).toBe(false);
      expect(await store.connections.add('g', 'a', 'o', 2000)).toBe(false);
    });

    it('degrees: 1st, 2nd, 3rd and 3rd+, never the owner, only within the workspace', async () => {
      const d = await connectionDegrees(store.connections, 'g', 'o', ['a', 'b', 'c', 'd', 'x', 'o']);
      expect(Object.fromEntries(d)).toEqual({ a: '1st', b: '2nd', c: '3rd', d: '3rd+', x: '3rd+' });
      expect(Object.fromEntries(await connectionDegrees(store.connections, 'g', 'd', ['c', 'b', 'a', 'o']))).toEqual({ c: '1st', b: '2nd', a: '3rd', o: '3rd+' });
      expect((await connectionDegrees(store.connections, 'g', 'o', [])).size).toBe(0);
    });

    it('degrees to a smaller depth look only that many hops out and leave the others out', async () => {
      const ids = ['a', 'b', 'c', 'd', 'x', 'o'];
      expect(Object.fromEntries(await connectionDegrees(store.connections, 'g', 'o', ids, 1))).toEqual({ a: '1st' });
      expect(Object.fromEntries(await connectionDegrees(store.connections, 'g', 'o', ids, 2))).toEqual({ a: '1st', b: '2nd' });
      expect(Object.fromEntries(await connectionDegrees(store.connections, 'g', 'o', ids, 3))).toEqual({ a: '1st', b: '2nd', c: '3rd', d: '3rd+', x: '3rd+' });
    });

    it('list pages the connections of a member in id order, with the total', async () => {
      for (const id of ['z', 'm', 'B']) await store.connections.add('g', 'hub', id, 1000);
      expect(await store.connections.list('g', 'hub', 0, 10)).toEqual({ total: 3, ids: ['B', 'm', 'z'] });
      expect(await store.connections.list('g', 'hub', 1, 1)).toEqual({ total: 3, ids: ['m'] });
      expect(await store.connections.list('g', 'hub', 5, 10)).toEqual({ total: 3, ids: [] });
      expect(await store.connections.list('g', 'b', 0, 10)).toEqual({ total: 2, ids: ['a', 'c'] });
      expect(await store.connections.list('g', 'nobody', 0, 10)).toEqual({ total: 0, ids: [] });
    });

    it('remove deletes both directions and answers false the second time', async () => {
      expect(await store.connections.add('g', 'tmp1', 'tmp2', 1000)).toBe(true);
      expect(await store.connections.remove('g', 'tmp2', 'tmp1')).toBe(true);
      expect(await store.connections.remove('g', 'tmp1', 'tmp2')).toBe(false);
      expect((await store.connections.list('g', 'tmp1', 0, 10)).total).toBe(0);
      expect((await store.connections.list('g', 'tmp2', 0, 10)).total).toBe(0);
      expect(await store.connections.remove('g', 'o', 'd')).toBe(false);
    });

    it('finds the 3rd degree whichever side of the path is smaller', async () => {
      // A hub owner with many connections and a viewer with one: the viewer's side is expanded.
      for (let i = 1; i <= 6; i++) await store.connections.add('g3', 'hub', `h${i}`, 1000);
      await store.connections.add('g3', 'h3', 'y', 1000);
      await store.connections.add('g3', 'y', 'v', 1000);
      expect(Object.fromEntries(await connectionDegrees(store.connections, 'g3', 'hub', ['v', 'y', 'h1']))).toEqual({ h1: '1st', y: '2nd', v: '3rd' });
      // A lone owner and a well-connected viewer: the owner's side is expanded.
      await store.connections.add('g3', 'lone', 'h1', 1000);
      expect(Object.fromEntries(await connectionDegrees(store.connections, 'g3', 'lone', ['h2', 'h3', 'y']))).toEqual({ h2: '3rd', h3: '3rd', y: '3rd+' });
    });

    it('neighbors lists each member\'s connections, both directions, within the workspace', async () => {
      const n = await store.connections.neighbors('g', ['b', 'o', 'nobody']);
      expect([...n.get('b')!].sort()).toEqual(['a', 'c']);
      expect(n.get('o')).toEqual(['a']);
      expect(n.has('nobody')).toBe(false);
    });

    it('neighbors keeps ids holding spaces, commas and other separators', async () => {
      const odd = ['c d', 'e,f', 'g\th', 'i\nj', "k'l", 'plain'];
      for (const id of odd) await store.connections.add('g-odd', 'hub', id, 1000);
      await store.connections.add('g-odd', 'hub2', 'plain', 1000);
      const n = await store.connections.neighbors('g-odd', ['hub', 'hub2', 'c d']);
      expect([...n.get('hub')!].sort()).toEqual([...odd].sort());
      expect(n.get('hub2')).toEqual(['plain']);
      expect(n.get('c d')).toEqual(['hub']);
    });

    // The HTTP schemas and the core refuse NUL in any text (PostgreSQL cannot store it), but
    // SQLite's store joins a member's list with NUL as the separator: it must stay exact anyway.
    it.runIf(backend.name === 'sqlite')('neighbors keeps ids holding NUL, on SQLite only, as only SQLite can store them', async () => {
      const odd = ['a\u0000b', '\u0000', 'plain'];
      for (const id of odd) await store.connections.add('g-nul', 'hub', id, 1000);
      await store.connections.add('g-nul', 'hub2', 'x', 1000);
      const n = await store.connections.neighbors('g-nul', ['hub', 'hub2']);
      expect([...n.get('hub')!].sort()).toEqual([...odd].sort());
      expect(n.get('hub2')).toEqual(['x']);
    });

    it('a removed link changes the degrees', async () => {
      await store.connections.add('g2', 'o', 'a', 1000);
      await store.connections.add('g2', 'a', 'b', 1000);
      expect((await connectionDegrees(store.connections, 'g2', 'o', ['b'])).get('b')).toBe('2nd');
      await store.connections.remove('g2', 'a', 'b');
      expect((await connectionDegrees(store.connections, 'g2', 'o', ['b'])).get('b')).toBe('3rd+');
    });
  });

  describe('visits: record', () => {
    it('a recorded visit gets the client id as its id, or a stored id when it has none', async () => {
      const [withId, withoutId] = await store.visits.record('r', [visit('p', 'v1', T0, 'search', 'client-1'), visit('p', 'v2', T0)], W);
      expect(withId).toEqual({ status: 'recorded', visitId: 'client-1' });
      expect(withoutId!.status).toBe('recorded');
      expect(withoutId!.visitId).toMatch(/^\d+$/);
    });

    it('dedup window edges: window - 1 ms later is the same view, exactly the window later is a new one', async () => {
      expect(await statuses('r', [visit('p', 'edge', T0)])).toEqual(['recorded']);
      expect(await statuses('r', [visit('p', 'edge', T0 + W - 1)])).toEqual(['deduplicated']);
      expect(await statuses('r', [visit('p', 'edge', T0 + W)])).toEqual(['recorded']);
      expect(await statuses('r', [visit('p', 'edge', T0 + 2 * W - 1)])).toEqual(['deduplicated']);
      // The same edges inside one batch.
      expect(await statuses('r', [visit('p', 'edge-b', T0), visit('p', 'edge-b', T0 + W - 1), visit('p', 'edge-b', T0 + W)])).toEqual([
        'recorded',
        'deduplicated',
        'recorded',
      ]);
    });

    it('a deduplicated visit reports its client id (or nothing) and is not stored', async () => {
      await statuses('r', [visit('p', 'dd', T0)]);
      const [a, b] = await store.visits.record('r', [visit('p', 'dd', T0 + 1, 'feed', 'dd-client'), visit('p', 'dd', T0 + 2)], W);
      expect(a).toEqual({ status: 'deduplicated', visitId: 'dd-client' });
      expect(b).toEqual({ status: 'deduplicated', visitId: '' });
      const page = await store.visits.listViewers({ workspaceId: 'r', profileId: 'p', since: 0, until: null, offset: 0, limit: 100 });
      expect(page.rows.find((r) => r.viewerId === 'dd')).toMatchObject({ viewCount: 1, lastSource: 'search' });
      // Not stored, so a retry of it is judged again (and is again the same view).
      expect((await store.visits.record('r', [visit('p', 'dd', T0 + 3, 'feed', 'dd-client')], W))[0]).toEqual({
        status: 'deduplicated',
        visitId: 'dd-client',
      });
    });

    it('out-of-order visits are deduplicated against the stored visits around them, with the same edges', async () => {
      const at = (k: number) => T0 + k * W;
      expect(await statuses('r', [visit('p', 'ooo', at(0)), visit('p', 'ooo', at(3))])).toEqual(['recorded', 'recorded']);
      // Between two stored visits, exactly one window from the first and two from the last.
      expect(await statuses('r', [visit('p', 'ooo', at(1))])).toEqual(['recorded']);
      expect(await statuses('r', [visit('p', 'ooo', at(1) + W / 2)])).toEqual(['deduplicated']);
      expect(await statuses('r', [visit('p', 'ooo', at(3) - 1)])).toEqual(['deduplicated']);
      expect(await statuses('r', [visit('p', 'ooo', at(2) + 1)])).toEqual(['deduplicated']);
      expect(await statuses('r', [visit('p', 'ooo', at(2))])).toEqual(['recorded']);
      // Before the first stored visit.
      expect(await statuses('r', [visit('p', 'ooo', at(0) - W + 1)])).toEqual(['deduplicated']);
      expect(await statuses('r', [visit('p', 'ooo', at(0) - W)])).toEqual(['recorded']);
      // Out of order within one batch, against visits of the same batch.
      expect(await statuses('r', [visit('p', 'ooo', at(10)), visit('p', 'ooo', at(8)), visit('p', 'ooo', at(8) + W - 1), visit('p', 'ooo', at(9) + 1), visit('p', 'ooo', at(9))])).toEqual([
        'recorded',
        'recorded',
        'deduplicated',
        'deduplicated',
        'recorded',
      ]);
      const page = await store.visits.listViewers({ workspaceId: 'r', profileId: 'p', since: 0, until: null, offset: 0, limit: 100 });
      expect(page.rows.find((r) => r.viewerId === 'ooo')).toMatchObject({ viewCount: 8, firstViewedAt: at(0) - W, lastViewedAt: at(10) });
    });

    it('a retry with the same client id is replayed, never counted twice, whatever its time', async () => {
      expect(await store.visits.record('r', [visit('p', 'rp', T0, 'search', 'retry-1')], W)).toEqual([{ status: 'recorded', visitId: 'retry-1' }]);
      expect(await store.visits.record('r', [visit('p', 'rp', T0, 'search', 'retry-1')], W)).toEqual([{ status: 'replayed', visitId: 'retry-1' }]);
      expect(await store.visits.record('r', [visit('p', 'rp', T0 + 10 * W, 'feed', 'retry-1')], W)).toEqual([{ status: 'replayed', visitId: 'retry-1' }]);
      // Twice in one batch: the second is the replay of the first.
      expect(await statuses('r', [visit('p', 'rp2', T0, 'search', 'retry-2'), visit('p', 'rp2', T0 + 5 * W, 'search', 'retry-2')])).toEqual([
        'recorded',
        'replayed',
      ]);
      // Client ids are per workspace.
      expect(await statuses('r-other', [visit('p', 'rp', T0, 'search', 'retry-1')])).toEqual(['recorded']);
      const page = await store.visits.listViewers({ workspaceId: 'r', profileId: 'p', since: 0, until: null, offset: 0, limit: 100 });
      expect(page.rows.find((r) => r.viewerId === 'rp')).toMatchObject({ viewCount: 1, lastViewedAt: T0 });
      expect(page.rows.find((r) => r.viewerId === 'rp2')).toMatchObject({ viewCount: 1 });
    });

    it('a zero window stores every visit', async () => {
      expect(await statuses('r', [visit('p', 'zero', T0), visit('p', 'zero', T0), visit('p', 'zero', T0 + 1)], 0)).toEqual(['recorded', 'recorded', 'recorded']);
    });

    it('an empty batch records nothing', async () => {
      expect(await store.visits.record('r', [], W)).toEqual([]);
    });
  });

  describe('visits: listViewers', () => {
    const ws = 'l';
    // The rows and the total; the viewers' cards some backends read with them have a test below.
    const list = async (since: number, until: number | null, offset = 0, limit = 100, profileId = 'owner') => {
      const { total, rows } = await store.visits.listViewers({ workspaceId: ws, profileId, since, until, offset, limit });
      return { total, rows };
    };

    beforeAll(async () => {
      const day = 24 * 60 * MIN;
      await store.visits.record(
        ws,
        [
          // old: three views long ago, one recent view.
          visit('owner', 'old', T0 - 10 * day, 'search'),
          visit('owner', 'old', T0 - 9 * day, 'feed'),
          visit('owner', 'old', T0 - 8 * day, 'group'),
          visit('owner', 'old', T0 - 1 * day, 'profile'),
          // recent: two views in the last days; the later one by an out-of-order write.
          visit('owner', 'recent', T0 - 2 * day, 'direct'),
          visit('owner', 'recent', T0 - 3 * day, 'external'),
          // Two viewers tied on their last view, ordered by id, bytewise: "B" before "a".
          visit('owner', 'a', T0 - 4 * day, 'similar_profiles'),
          visit('owner', 'B', T0 - 4 * day, 'other'),
          // Only long ago.
          visit('owner', 'gone', T0 - 20 * day, 'search'),
          // Another profile and another workspace must not leak in.
          visit('someone-else', 'intruder', T0, 'search'),
        ],
        W,
      );
      await store.visits.record('l-other', [visit('owner', 'intruder', T0, 'search')], W);
    });

    it('open-ended: newest first, ties by viewer id, with the all-time summary when the range covers it', async () => {
      const page = await list(0, null);
      expect(page.total).toBe(5);
      expect(page.rows.map((r) => r.viewerId)).toEqual(['old', 'recent', 'B', 'a', 'gone']);
      const day = 24 * 60 * MIN;
      expect(page.rows[0]).toEqual({ viewerId: 'old', viewCount: 4, firstViewedAt: T0 - 10 * day, lastViewedAt: T0 - day, lastSource: 'profile' });
      // The older, out-of-order visit did not become the last source.
      expect(page.rows[1]).toEqual({ viewerId: 'recent', viewCount: 2, firstViewedAt: T0 - 3 * day, lastViewedAt: T0 - 2 * day, lastSource: 'direct' });
      expect(page.rows[2]).toMatchObject({ viewerId: 'B', lastSource: 'other' });
    });

    it('open-ended from a later `since`: only viewers seen since then, with counts within the range', async () => {
      const day = 24 * 60 * MIN;
      const page = await list(T0 - 9 * day, null);
      expect(page.total).toBe(4);
      expect(page.rows.map((r) => r.viewerId)).toEqual(['old', 'recent', 'B', 'a']);
      expect(page.rows[0]).toEqual({ viewerId: 'old', viewCount: 3, firstViewedAt: T0 - 9 * day, lastViewedAt: T0 - day, lastSource: 'profile' });
      expect(page.rows[1]).toMatchObject({ viewerId: 'recent', viewCount: 2 });
      const later = await list(T0 - 2 * day, null);
      expect(later.total).toBe(2);
      expect(later.rows).toEqual([
        { viewerId: 'old', viewCount: 1, firstViewedAt: T0 - day, lastViewedAt: T0 - day, lastSource: 'profile' },
        { viewerId: 'recent', viewCount: 1, firstViewedAt: T0 - 2 * day, lastViewedAt: T0 - 2 * day, lastSource: 'direct' },
      ]);
    });

    it('offset and limit page through the same order; the total does not depend on the page', async () => {
      const all = (await list(0, null)).rows.map((r) => r.viewerId);
      const pages = [];
      for (let offset = 0; offset < 6; offset += 2) pages.push(await list(0, null, offset, 2));
      expect(pages.map((p) => p.total)).toEqual([5, 5, 5]);
      expect(pages.flatMap((p) => p.rows.map((r) => r.viewerId))).toEqual(all);
      expect(await list(0, null, 10, 5)).toEqual({ total: 5, rows: [] });
    });

    it('a closed range (until) counts the raw visits in [since, until), with the last source in the range', async () => {
      const day = 24 * 60 * MIN;
      const page = await list(T0 - 10 * day, T0 - 3 * day);
      expect(page.total).toBe(3);
      expect(page.rows).toEqual([
        { viewerId: 'B', viewCount: 1, firstViewedAt: T0 - 4 * day, lastViewedAt: T0 - 4 * day, lastSource: 'other' },
        { viewerId: 'a', viewCount: 1, firstViewedAt: T0 - 4 * day, lastViewedAt: T0 - 4 * day, lastSource: 'similar_profiles' },
        { viewerId: 'old', viewCount: 3, firstViewedAt: T0 - 10 * day, lastViewedAt: T0 - 8 * day, lastSource: 'group' },
      ]);
      const wider = await list(T0 - 10 * day, T0 - 2 * day);
      expect(wider.total).toBe(4);
      expect(wider.rows.map((r) => r.viewerId)).toEqual(['recent', 'B', 'a', 'old']);
      expect(wider.rows[0]).toEqual({ viewerId: 'recent', viewCount: 1, firstViewedAt: T0 - 3 * day, lastViewedAt: T0 - 3 * day, lastSource: 'external' });
      expect(wider.rows[3]).toEqual({ viewerId: 'old', viewCount: 3, firstViewedAt: T0 - 10 * day, lastViewedAt: T0 - 8 * day, lastSource: 'group' });
      // `until` is exclusive, `since` inclusive.
      expect((await list(T0 - 8 * day, T0 - 8 * day + 1)).rows.map((r) => r.viewerId)).toEqual(['old']);
      expect((await list(T0 - 8 * day + 1, T0 - 4 * day)).total).toBe(0);
      const paged = await list(T0 - 30 * day, T0, 1, 2);
      expect(paged.total).toBe(5);
      expect(paged.rows.map((r) => r.viewerId)).toEqual(['recent', 'B']);
    });

    it('the last source of a closed range is the latest stored visit at the latest instant', async () => {
      await store.visits.record(ws, [visit('tie-owner', 'v', T0, 'search'), visit('tie-owner', 'v', T0, 'feed')], 0);
      const page = await list(0, T0 + 1, 0, 10, 'tie-owner');
      expect(page.rows).toEqual([{ viewerId: 'v', viewCount: 2, firstViewedAt: T0, lastViewedAt: T0, lastSource: 'feed' }]);
      expect((await list(0, null, 0, 10, 'tie-owner')).rows[0]).toMatchObject({ viewCount: 2, lastSource: 'feed' });
    });

    it("the viewers' cards a page carries (PostgreSQL reads them with it) are the member store's; a viewer who is not a member has none", async () => {
      const cw = 'cards';
      await store.members.upsert(cw, [{ id: 'owner' }, { id: 'known', name: 'Kim', headline: 'CTO', visibility: 'characteristics', company: 'Acme' }], 'replace', 1000);
      await store.visits.record(cw, [visit('owner', 'known', T0, 'search'), visit('owner', 'ghost', T0 + 1, 'feed')], W);
      for (const until of [null, T0 + 2]) {
        const page = await store.visits.listViewers({ workspaceId: cw, profileId: 'owner', since: 0, until, offset: 0, limit: 10 });
        expect(page.rows.map((r) => r.viewerId)).toEqual(['ghost', 'known']);
        if (setup.visits === setup.entities && backend.name === 'postgres') expect(page.viewers, 'PostgreSQL reads the cards with the page').toBeDefined();
        if (page.viewers) expect(new Map(page.viewers)).toEqual(await store.members.getMany(cw, ['known', 'ghost']));
      }
    });

    it('an unknown profile has no viewers', async () => {
      expect(await list(0, null, 0, 10, 'nobody')).toEqual({ total: 0, rows: [] });
      expect(await list(0, T0, 0, 10, 'nobody')).toEqual({ total: 0, rows: [] });
    });
  });

  describe('visits: the total, from the last-view histogram', () => {
    const DAY = 86_400_000;
    // A small deterministic generator, so a failure replays identically.
    let seed = 7;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), (seed >>> 8) % n);

    it('equals a brute-force count of distinct last views for any boundary, also after an erase', async () => {
      const ws = 'hist';
      await store.workspaces.ensure(ws, ws);
      const viewers = Array.from({ length: 40 }, (_, i) => ({ id: `v${i}` }));
      await store.members.upsert(ws, [{ id: 'owner' }, { id: 'owner2' }, ...viewers], 'replace', 1000);
      const T0 = 400 * DAY + 13 * 3_600_000;
      // In order and out of order, within one call and across calls, several per pair.
      for (let call = 0; call < 6; call++) {
        const batch: AcceptedVisit[] = Array.from({ length: 60 }, () => ({
          clientId: null,
          profileId: rand(4) === 0 ? 'owner2' : 'owner',
          viewerId: `v${rand(40)}`,
          viewedAt: T0 + rand(12 * DAY),
          source: 'search' as VisitSource,
        }));
        await store.visits.record(ws, batch, 0);
      }
      const lastViews = async (profileId: string) => {
        const all = await store.visits.listViewers({ workspaceId: ws, profileId, since: 0, until: null, offset: 0, limit: 1000 });
        return all.rows.map((r) => r.lastViewedAt);
      };
      const check = async (profileId: string) => {
        const last = await lastViews(profileId);
        for (const since of [0, T0, T0 + DAY - 1, T0 + DAY, T0 + 3 * DAY + 5, T0 + 7 * DAY + 12 * 3_600_000, T0 + 11 * DAY + 1, T0 + 20 * DAY]) {
          const { total } = await store.visits.listViewers({ workspaceId: ws, profileId, since, until: null, offset: 0, limit: 1 });
          expect(total, `since ${since - T0} ms after T0`).toBe(last.filter((t) => t >= since).length);
        }
      };
      await check('owner');
      await check('owner2');
      const before = (await lastViews('owner')).length;
      expect(before).toBeGreaterThan(10);
      // Erasing a viewer lowers the totals of every profile they viewed.
      const victim = (await store.visits.listViewers({ workspaceId: ws, profileId: 'owner', since: 0, until: null, offset: 0, limit: 1 })).rows[0]!.viewerId;
      expect(await store.members.erase(ws, victim, 2000)).toBe(true);
      expect((await lastViews('owner')).length).toBe(before - 1);
      await check('owner');
      await check('owner2');
    });
  });

  describe('visits: many concurrent calls', () => {
    it('records every visit of concurrent calls that add up to several group commits, each answered in order', async () => {
      const ws = 'burst';
      await store.workspaces.ensure(ws, ws);
      await store.members.upsert(ws, Array.from({ length: 201 }, (_, i) => ({ id: `b${i}` })), 'replace', 1000);
      const call = (k: number) =>
        Array.from({ length: 900 }, (_, i) => ({
          clientId: `c${k}-${i}`,
          profileId: 'b0',
          viewerId: `b${1 + ((k * 900 + i) % 200)}`,
          viewedAt: 5_000_000 + (k * 900 + i) * 1000,
          source: 'feed' as VisitSource,
        }));
      const outcomes = await Promise.all([0, 1, 2, 3, 4].map((k) => store.visits.record(ws, call(k), 0)));
      for (const [k, o] of outcomes.entries()) {
        expect(o).toHaveLength(900);
        expect(o.every((r, i) => r.status === 'recorded' && r.visitId === `c${k}-${i}`)).toBe(true);
      }
      const page = await store.visits.listViewers({ workspaceId: ws, profileId: 'b0', since: 0, until: null, offset: 0, limit: 200 });
      expect(page.total).toBe(200);
      expect(page.rows.reduce((n, r) => n + r.viewCount, 0)).toBe(4500);
    });
  });

  describe('keys', () => {
    const key = (id: string, extra: Partial<Parameters<Store['keys']['create']>[0]> = {}) => ({
      id,
      workspaceId: 'k',
      secretHash: `hash-${id}`,
      role: 'admin' as const,
      memberId: null,
      name: null,
      credits: null,
      createdAt: 1000,
      ...extra,
    });

    it('create, findBySecretHash, get and list', async () => {
      const created = await store.keys.create(key('k2', { role: 'member', memberId: 'ann', name: 'Ann key', credits: 50, createdAt: 2000 }));
      expect(created).toEqual({ id: 'k2', workspaceId: 'k', role: 'member', memberId: 'ann', name: 'Ann key', credits: 50, createdAt: 2000, revokedAt: null });
      await store.keys.create(key('k1'));
      await store.keys.create(key('k0', { createdAt: 2000 }));
      await store.keys.create(key('elsewhere', { workspaceId: 'k-other' }));
      expect(await store.keys.findBySecretHash('hash-k2')).toEqual(created);
      expect(await store.keys.findBySecretHash('nope')).toBeUndefined();
      expect(await store.keys.get('k', 'k2')).toEqual(created);
      expect(await store.keys.get('k-other', 'k2')).toBeUndefined();
      expect((await store.keys.list('k')).map((k) => k.id)).toEqual(['k1', 'k0', 'k2']);
    });

    it('revoke marks the key once, only within its workspace', async () => {
      expect(await store.keys.revoke('k-other', 'k1', 5000)).toBe(false);
      expect(await store.keys.revoke('k', 'k1', 5000)).toBe(true);
      expect(await store.keys.revoke('k', 'k1', 6000)).toBe(false);
      expect(await store.keys.revoke('k', 'missing', 6000)).toBe(false);
      expect((await store.keys.findBySecretHash('hash-k1'))!.revokedAt).toBe(5000);
    });

    it('setCredits sets a balance or unlimited, and answers undefined for an unknown key', async () => {
      expect((await store.keys.setCredits('k', 'k0', 7))!.credits).toBe(7);
      expect((await store.keys.setCredits('k', 'k0', null))!.credits).toBeNull();
      expect(await store.keys.setCredits('k', 'missing', 3)).toBeUndefined();
      expect(await store.keys.setCredits('k-other', 'k0', 3)).toBeUndefined();
    });

    it('charge takes credits atomically and never below zero', async () => {
      await store.keys.create(key('paid', { credits: 10 }));
      expect(await store.keys.charge('k', 'paid', 3)).toEqual({ ok: true, remaining: 7 });
      expect(await store.keys.charge('k', 'paid', 8)).toEqual({ ok: false, remaining: 7 });
      expect(await store.keys.charge('k', 'paid', 7)).toEqual({ ok: true, remaining: 0 });
      expect(await store.keys.charge('k', 'paid', 1)).toEqual({ ok: false, remaining: 0 });
      expect((await store.keys.get('k', 'paid'))!.credits).toBe(0);
      await store.keys.create(key('free-for-all'));
      expect(await store.keys.charge('k', 'free-for-all', 1000)).toEqual({ ok: true, remaining: null });
      expect(await store.keys.charge('k', 'missing', 1)).toEqual({ ok: false, remaining: 0 });
      expect(await store.keys.charge('k-other', 'paid', 1)).toEqual({ ok: false, remaining: 0 });
    });

    it('concurrent charges of one key are exact', async () => {
      await store.keys.create(key('busy', { credits: 15 }));
      const results = await Promise.all(Array.from({ length: 40 }, () => store.keys.charge('k', 'busy', 1)));
      expect(results.filter((r) => r.ok)).toHaveLength(15);
      expect(results.filter((r) => !r.ok).every((r) => r.remaining === 0)).toBe(true);
      expect((await store.keys.get('k', 'busy'))!.credits).toBe(0);
    });
  });
});

const pgName = postgresAvailable() ? 'PostgreSQL visit partitions' : 'PostgreSQL visit partitions (skipped: PostgreSQL unavailable)';
describe.skipIf(!postgresAvailable())(pgName, () => {
  let store: PostgresStore;
  let url: string;
  beforeAll(async () => {
    ({ store, url } = (await openFreshStore(postgresBackend)) as { store: PostgresStore; url: string });
    await store.workspaces.ensure('pp', 'Partitions');
  });
  afterAll(async () => {
    await store.close();
    await dropPostgresDatabase(url);
  });

  const partitionOf = async (clientId: string) =>
    (await store.db.query<{ p: string }>("SELECT tableoid::regclass::text AS p FROM visits WHERE workspace_id = 'pp' AND client_id = $1", [clientId]))[0]?.p;

  it('visits land in the partition of their month, created on demand', async () => {
    const jan = Date.UTC(2025, 0, 31, 23, 59, 59, 999);
    const feb = Date.UTC(2025, 1, 1);
    const out = await store.visits.record('pp', [visit('p', 'v', jan, 'search', 'jan'), visit('p', 'v', feb, 'search', 'feb')], W);
    expect(out.map((o) => o.status)).toEqual(['recorded', 'deduplicated']);
    await store.visits.record('pp', [visit('p', 'w', feb, 'search', 'feb2')], W);
    expect(await partitionOf('jan')).toBe('visits_y2025m01');
    expect(await partitionOf('feb2')).toBe('visits_y2025m02');
  });

  it('dropping old partitions removes their visits and client ids, keeps the rest, and a later write recreates a month', async () => {
    await store.visits.record('pp', [visit('p', 'x', Date.UTC(2025, 2, 10), 'feed', 'mar')], W);
    const dropped = await store.partitions.dropBefore(Date.UTC(2025, 2, 1));
    expect(dropped.sort()).toEqual(['visits_y2025m01', 'visits_y2025m02']);
    expect(await partitionOf('jan')).toBeUndefined();
    expect(await partitionOf('mar')).toBe('visits_y2025m03');
    const ids = await store.db.query<{ client_id: string }>("SELECT client_id FROM visit_client_ids WHERE workspace_id = 'pp' ORDER BY client_id");
    expect(ids.map((r) => r.client_id)).toEqual(['mar']);
    // Another process dropping a month this one had cached must not break writes to it.
    await store.db.query('DROP TABLE visits_y2025m03');
    expect((await store.visits.record('pp', [visit('p', 'y', Date.UTC(2025, 2, 11), 'feed', 'mar2')], W))[0]!.status).toBe('recorded');
    expect(await partitionOf('mar2')).toBe('visits_y2025m03');
  });
});
