/**
 * The SQLite inbox file has one migration scheme, like the main file: a numbered list applied
 * in order (storage/sqlite/inbox-db.ts, docs/migrations.md). An inbox file made by today's
 * schema, or by the one before the visit log, opens with every acknowledged visit still there
 * and listed; a later migration applies to today's file once; a file newer than the code is
 * refused.
 */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SchemaTooNewError, latestVersion } from '../src/storage/migration.js';
import { INBOX_MIGRATIONS, inboxPath, inboxVersion, migrateInbox } from '../src/storage/sqlite/inbox-db.js';
import { openSqliteStore, type SqliteStore } from '../src/storage/sqlite/sqlite-store.js';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const WS = 'inbox';

const open = (path: string) => openSqliteStore({ path, synchronous: 'normal', migrate: true, readCacheBytes: 1 << 20, fold: 'manual' });

/** A store file with three visits acknowledged and left pending in its inbox (not folded). */
async function withPendingVisits(): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'pv-inbox-mig-')), 'store.db');
  const store = open(path);
  await store.workspaces.ensure(WS, WS);
  await store.members.upsert(WS, ['o', 'a', 'b', 'c'].map((id) => ({ id })), 'replace', T0);
  await store.visits.record(
    WS,
    ['a', 'b', 'c'].map((viewerId, i) => ({ clientId: null, profileId: 'o', viewerId, viewedAt: T0 + i, source: 'search' as const })),
    0,
  );
  await store.close();
  return path;
}

const listed = async (store: SqliteStore) =>
  (await store.visits.listViewers({ workspaceId: WS, profileId: 'o', since: 0, until: null, offset: 0, limit: 10 })).rows.map((r) => r.viewerId).sort();

describe('SQLite inbox migrations', () => {
  const opened: SqliteStore[] = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  it('are numbered 1..N, each with a name', () => {
    expect(INBOX_MIGRATIONS.map((m) => m.version)).toEqual(INBOX_MIGRATIONS.map((_, i) => i + 1));
    for (const m of INBOX_MIGRATIONS) expect(m.name.length).toBeGreaterThan(0);
  });

  it("an inbox file of today's schema opens as it is, and a later migration applies to it once", async () => {
    const path = await withPendingVisits();
    const store = open(path);
    opened.push(store);
    expect(inboxVersion(store.raw)).toBe(latestVersion(INBOX_MIGRATIONS));
    expect(await listed(store)).toEqual(['a', 'b', 'c']);
    const next = { version: latestVersion(INBOX_MIGRATIONS) + 1, name: 'a later change', sql: 'CREATE TABLE inbox.later (x INTEGER)' };
    expect(migrateInbox(store.raw, [...INBOX_MIGRATIONS, next])).toEqual([next.version]);
    expect(migrateInbox(store.raw, [...INBOX_MIGRATIONS, next])).toEqual([]);
    expect(inboxVersion(store.raw)).toBe(next.version);
    expect(await listed(store)).toEqual(['a', 'b', 'c']);
    expect(store.raw.prepare('SELECT count(*) FROM inbox.visit_log').pluck().get()).toBe(3);
  });

  it('an inbox file from before the visit log is migrated: its pending visits enter the log and stay listed', async () => {
    const path = await withPendingVisits();
    // What version 1 of the inbox held: the inbox tables, no log.
    const old = new Database(inboxPath(path));
    old.exec('DROP TABLE visit_log; DROP TABLE visit_log_heads; DROP TABLE visit_log_state; PRAGMA user_version = 1');
    old.close();
    const store = open(path);
    opened.push(store);
    expect(inboxVersion(store.raw)).toBe(latestVersion(INBOX_MIGRATIONS));
    expect(store.raw.prepare('SELECT viewer_id FROM inbox.visit_log ORDER BY position').pluck().all()).toEqual(['a', 'b', 'c']);
    expect(await listed(store)).toEqual(['a', 'b', 'c']);
    // And it records on: the next visit gets the next position, and folds with the others.
    const [outcome] = await store.visits.record(WS, [{ clientId: null, profileId: 'o', viewerId: 'a', viewedAt: T0 + 10, source: 'search' }], 0);
    expect(outcome?.status).toBe('recorded');
    expect(store.raw.prepare('SELECT max(position) = ? FROM inbox.visit_log').pluck().get(Number(outcome!.visitId))).toBe(1);
    expect(store.visits.foldNow()).toBe(4);
    expect(await listed(store)).toEqual(['a', 'b', 'c']);
  });

  it('an inbox file newer than the code is refused, naming the file', async () => {
    const path = await withPendingVisits();
    const newer = new Database(inboxPath(path));
    newer.pragma(`user_version = ${latestVersion(INBOX_MIGRATIONS) + 1}`);
    newer.close();
    expect(() => open(path)).toThrow(SchemaTooNewError);
    expect(() => open(path)).toThrow(/inbox database .*-inbox is at version/);
  });
});
