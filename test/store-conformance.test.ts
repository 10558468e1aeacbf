/**
 * The store contract, method by method, run once per backend: whatever SQLite answers,
 * PostgreSQL must answer the same. Then once more per pairing of one backend's entity store
 * with the other's visit store (docs/architecture.md): the two stores must answer the same
 * whether they share a database or not. The visit store's cases (support/visit-store-cases.ts)
 * run once more per backend against a visit store alone, in a database where no workspace or
 * member exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, connectionDegrees, type AcceptedVisit, type Store, type VisitSource } from '../src/core/index.js';
import type { PostgresStore } from '../src/storage/postgres/postgres-store.js';
import { openStore, openStores } from '../src/storage/open-store.js';
import { visitStoreOf } from '../src/storage/compose-stores.js';
import { BACKENDS, dropPostgresDatabase, openFreshStore, postgresAvailable, postgresBackend, testStoreConfig, STORE_SETUPS } from './support/backends.js';
import { visitStoreCases } from './support/visit-store-cases.js';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const MIN = 60_000;
const W = 30 * MIN;

function visit(profileId: string, viewerId: string, viewedAt: number, source: VisitSource = 'search', clientId: string | null = null): AcceptedVisit {
  return { clientId, profileId, viewerId, viewedAt, source };
}


describe.each(STORE_SETUPS)('store conformance on $name', (setup) => {
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

    it('ids lists every workspace once, in id order', async () => {
      await store.workspaces.ensure('ws-a-first', 'A');
      const ids = await store.workspaces.ids();
      expect(ids).toEqual(expect.arrayContaining(['ws-a-first', 'ws-new']));
      expect(ids).toEqual([...new Set(ids)].sort());
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

    it('countByVisibility counts the members named, once each, by their visibility now, within the workspace', async () => {
      // In 'm': ann (full since her replace), bob (private), cy (full); 'm-other' has its own ann.
      expect(await store.members.countByVisibility('m', ['ann', 'bob', 'cy', 'nobody', 'ann'])).toEqual({ full: 2, characteristics: 0, private: 1 });
      expect(await store.members.countByVisibility('m', [])).toEqual({ full: 0, characteristics: 0, private: 0 });
      expect(await store.members.countByVisibility('m-other', ['ann', 'bob'])).toEqual({ full: 1, characteristics: 0, private: 0 });
      await store.members.upsert('m', [{ id: 'cy', visibility: 'characteristics' }], 'merge', 6000);
      expect(await store.members.countByVisibility('m', ['bob', 'cy'])).toEqual({ full: 0, characteristics: 1, private: 1 });
      await store.members.upsert('m', [{ id: 'cy', visibility: 'full' }], 'merge', 6000);
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

  // Everything the visit store answers: the same list of cases runs against a visit store alone below.
  visitStoreCases(() => ({
    v: visitStoreOf(store),
    async members(ws, ids) {
      await store.workspaces.ensure(ws, ws);
      await store.members.upsert(ws, ids.map((id) => ({ id })), 'merge', 1000);
    },
    async erase(ws, id) {
      await store.members.erase(ws, id, 2000);
    },
  }));

  describe("visits: the viewers' cards", () => {
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

describe.each(BACKENDS)('visit store conformance on $name alone, in a database without any workspace or member', (backend) => {
  let store: Store;
  let url: string;
  beforeAll(async () => {
    ({ store, url } = await openFreshStore(backend));
  });
  afterAll(async () => {
    await store.close();
    if (backend.name === 'postgres') await dropPostgresDatabase(url);
  });

  // Only the visit half is handed to the cases; erasing is its own eraseMember, as a visit
  // store apart from the entity store is asked (storage/compose-stores.ts).
  visitStoreCases(() => ({
    v: visitStoreOf(store),
    members: async () => {},
    erase: (ws, id) => visitStoreOf(store).visits.eraseMember(ws, id),
  }));

  it('made no workspace and no member on the way', async () => {
    expect(await store.workspaces.ids()).toEqual([]);
    for (const ws of ['r', 'l', 'hist', 'vs-erase', 'vs-ins']) {
      expect(await store.workspaces.get(ws)).toBeUndefined();
      expect(await store.members.existingIds(ws, ['o', 'a', 'b', 'owner', 'v0'])).toEqual(new Set());
    }
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
