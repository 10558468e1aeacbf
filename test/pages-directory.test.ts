/**
 * The member directory behind the console's search (src/core/member-directory.ts), on both
 * backends: id prefix or name substring (ASCII case-insensitive), the exact id first, a limit,
 * one workspace only, and the member count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, openFreshStore } from './support/backends.js';
import { countMembers, ensureWorkspace, searchMembers, systemClock, type Store } from '../src/core/index.js';

describe.each(BACKENDS)('member directory on $name', (backend) => {
  let store: Store;
  const deps = () => ({ store, clock: systemClock });

  beforeAll(async () => {
    store = (await openFreshStore(backend)).store;
    await ensureWorkspace(deps(), 'dir-a');
    await ensureWorkspace(deps(), 'dir-b');
    await store.members.upsert(
      'dir-a',
      [
        { id: 'ann', name: 'Ann Lee' },
        { id: 'anna-2', name: 'Anna Berg' },
        { id: 'bob', name: 'Bob Annapolis' },
        { id: 'carl', name: null },
        { id: '100%_odd', name: 'Percent_Under' },
      ],
      'replace',
      Date.now(),
    );
    await store.members.upsert('dir-b', [{ id: 'ann-b', name: 'Ann Other' }], 'replace', Date.now());
  });
  afterAll(() => store?.close());

  const ids = async (q: string, limit?: number) => (await searchMembers(deps(), (await store.workspaces.get('dir-a'))!, q, limit)).map((m) => m.id);

  it('finds by id prefix or name, the exact id first, in this workspace only', async () => {
    expect(await ids('ann')).toEqual(['ann', 'anna-2', 'bob']);
    expect(await ids('ANNA')).toEqual(['anna-2', 'bob']);
    expect(await ids('car')).toEqual(['carl']);
    expect(await ids('lee')).toEqual(['ann']);
    expect(await ids('ann', 2)).toEqual(['ann', 'anna-2']);
    // LIKE wildcards are plain characters here.
    expect(await ids('%')).toEqual([]);
    expect(await ids('100%')).toEqual(['100%_odd']);
    expect(await ids('n_l')).toEqual([]);
    expect(await ids('nt_un')).toEqual(['100%_odd']);
    expect(await ids('   ')).toEqual([]);
    expect(await ids('other')).toEqual([]);
  });

  it('counts the workspace\'s members', async () => {
    expect(await countMembers(deps(), (await store.workspaces.get('dir-a'))!)).toBe(5);
    expect(await countMembers(deps(), (await store.workspaces.get('dir-b'))!)).toBe(1);
  });
});
