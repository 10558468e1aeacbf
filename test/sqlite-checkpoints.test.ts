/**
 * SQLite only (the behaviour is the SQLite backend's): WAL checkpoints run in a background
 * thread, so commits never copy pages back themselves, yet the database file does receive them
 * and nothing committed is lost across a close and reopen.
 */
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { BACKSTOP_PAGES } from '../src/storage/sqlite/checkpointer.js';
import { sqliteBackend } from './support/backends.js';
import { until } from './support/assertions.js';


describe('SQLite background checkpoints (SQLite-specific: PostgreSQL has no WAL file to checkpoint)', () => {
  it('commits leave checkpointing to the background thread, which copies the pages into the database file', { timeout: 60_000 }, async () => {
    const path = await sqliteBackend.freshUrl();
    const store = openSqliteStore({ path, synchronous: 'normal', migrate: true, readCacheBytes: 0 });
    expect(store.raw.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
    await store.workspaces.ensure('ws', 'ws');
    const members = Array.from({ length: 200 }, (_, i) => ({ id: `m${i}`, name: `Member ${i}` }));
    await store.members.upsert('ws', members, 'replace', 0);
    const before = statSync(path).size;
    const now = Date.now();
    const visits = [];
    for (let i = 0; i < 20_000; i++) {
      const p = i % 200;
      const v = (p + 1 + (i % 199)) % 200;
      visits.push({ profileId: `m${p}`, viewerId: `m${v}`, viewedAt: now - i * 1000, source: 'feed' as const, clientId: null });
    }
    const outcomes = await store.visits.record('ws', visits, 0);
    expect(outcomes.every((o) => o.status === 'recorded')).toBe(true);
    // The pages are in the database file within a few checkpoint rounds, without any checkpoint from us.
    expect(await until(() => statSync(path).size > before + 1_000_000, 10_000)).toBe(true);
    await store.close();

    const again = openSqliteStore({ path, synchronous: 'normal', migrate: true, readCacheBytes: 0 });
    const page = await again.visits.listViewers({ workspaceId: 'ws', profileId: 'm0', since: 0, until: null, offset: 0, limit: 500 });
    expect(page.total).toBe(100);
    expect(page.rows.reduce((n, r) => n + r.viewCount, 0)).toBe(100);
    await again.close();
  });
});
