/**
 * The read cache skips its exact freshness check while no WAL-index header moved
 * (src/storage/sqlite/wal-header.ts). These tests hold it to "unchanged only when nothing was
 * committed": by another connection of this process, by another process, on either file; and
 * through a real server process, whose cache must show at once what another process committed.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AcceptedVisit, Store } from '../src/core/index.js';
import { inboxPath } from '../src/storage/sqlite/inbox-db.js';
import { openSqliteStore, type SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { WalHeaderWatch } from '../src/storage/sqlite/wal-header.js';
import { REPO_ROOT, freePort, killServers, runCli, secretFrom, startServerProcess } from './support/processes.js';

const T = { timeout: 60_000 };
const freshPath = () => join(mkdtempSync(join(tmpdir(), 'pv-walhdr-')), 'test.db');
const open = (path: string, readCacheBytes = 0) => openSqliteStore({ path, synchronous: 'normal', migrate: true, readCacheBytes });

/** Commits one write to `file` from a separate Node process. */
function commitFromAnotherProcess(file: string): void {
  const script = `const D = require('better-sqlite3'); const d = new D(process.argv[1]); d.exec('CREATE TABLE IF NOT EXISTS probe (n); INSERT INTO probe VALUES (1)'); d.close();`;
  execFileSync(process.execPath, ['-e', script, file], { cwd: REPO_ROOT });
}

describe('WAL-index header watch', () => {
  const stores: SqliteStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it('has nothing to watch on an in-memory database, so every check stays exact', async () => {
    const store = open(':memory:');
    stores.push(store);
    expect(WalHeaderWatch.open(store.raw)).toBeNull();
  });

  it('says unchanged only while no connection, of this process or another, has committed to either file', async () => {
    const path = freshPath();
    const store = open(path);
    stores.push(store);
    const watch = WalHeaderWatch.open(store.raw);
    expect(watch).not.toBeNull();
    // Nothing settled yet: the first check is always exact.
    expect(watch!.unchanged()).toBe(false);
    watch!.settle();
    expect(watch!.unchanged()).toBe(true);
    store.raw.prepare('SELECT count(*) FROM members').get();
    expect(watch!.unchanged(), 'a read commits nothing').toBe(true);

    for (const file of [path, inboxPath(path)]) {
      const other = new Database(file);
      other.exec('CREATE TABLE IF NOT EXISTS probe (n); INSERT INTO probe VALUES (1)');
      other.close();
      expect(watch!.unchanged(), `another connection committed to ${file}`).toBe(false);
      watch!.settle();
      expect(watch!.unchanged()).toBe(true);

      commitFromAnotherProcess(file);
      expect(watch!.unchanged(), `another process committed to ${file}`).toBe(false);
      // Not settled (as when the exact check threw): it keeps saying so.
      expect(watch!.unchanged()).toBe(false);
      watch!.settle();
      expect(watch!.unchanged()).toBe(true);
    }
  });

  it('once SQLite has closed the -shm descriptor (leaving WAL mode), it never says unchanged, whatever file reuses the number', () => {
    const path = freshPath();
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (n); INSERT INTO t VALUES (1)');
    const watch = WalHeaderWatch.open(db)!;
    expect(watch).not.toBeNull();
    watch.unchanged();
    watch.settle();
    expect(watch.unchanged()).toBe(true);
    db.pragma('journal_mode = DELETE');
    // Descriptor numbers are reused lowest first: these files likely take the -shm's number.
    const junk = Array.from({ length: 4 }, (_, i) => {
      const file = join(mkdtempSync(join(tmpdir(), 'pv-junk-')), `junk${i}`);
      writeFileSync(file, Buffer.alloc(4096));
      return openSync(file, 'r');
    });
    try {
      expect(watch.unchanged(), 'reading another file').toBe(false);
      // The caller's exact check then settles on those bytes: they must not pass as a header.
      watch.settle();
      expect(watch.unchanged(), 'reading another file, settled').toBe(false);
    } finally {
      for (const fd of junk) closeSync(fd);
    }
    watch.settle();
    expect(watch.unchanged(), 'reading a closed descriptor').toBe(false);
    db.close();
  });

  it('after its connection is closed it never says unchanged', async () => {
    const store = open(freshPath());
    const watch = WalHeaderWatch.open(store.raw)!;
    watch.unchanged();
    watch.settle();
    expect(watch.unchanged()).toBe(true);
    await store.close();
    expect(watch.unchanged()).toBe(false);
  });
});

describe('a server process with its read cache, and writes committed by another process', () => {
  afterAll(() => killServers());

  it('every list read after another process acknowledged a write shows it', T, async () => {
    const path = freshPath();
    const created = await runCli(['keys', 'create', '--workspace', 'acme', '--role', 'admin'], { DATABASE_URL: path });
    expect(created.code, created.stderr).toBe(0);
    const headers = { 'x-api-key': secretFrom(created.stdout) };
    const server = await startServerProcess({ DATABASE_URL: path, PORT: String(await freePort()), LOG_LEVEL: 'warn' });
    // This process writes: for the server, commits it did not make.
    const writer: Store = open(path);
    try {
      await writer.members.upsert('acme', [{ id: 'owner', name: 'Owner', plan: 'premium' }], 'replace', Date.now());
      const list = async () => {
        const res = await fetch(`${server.url}/v1/members/owner/visitors?limit=100`, { headers });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { total: number; viewers: { viewer: { id: string; name: string } }[] };
        return { total: body.total, names: new Map(body.viewers.map((v) => [v.viewer.id, v.viewer.name])) };
      };
      for (let i = 0; i < 12; i++) {
        // Cached by the server now, then read again from its cache: the header has not moved.
        await list();
        expect((await list()).total).toBe(i);
        const viewer = `v${i}`;
        await writer.members.upsert('acme', [{ id: viewer, name: `Viewer ${i}` }], 'merge', Date.now());
        const visit: AcceptedVisit = { clientId: null, profileId: 'owner', viewerId: viewer, viewedAt: Date.now() - 60_000, source: 'search' };
        await writer.visits.record('acme', [visit], 30 * 60_000);
        const after = await list();
        expect(after.total).toBe(i + 1);
        expect(after.names.get(viewer)).toBe(`Viewer ${i}`);
        if (i > 0) {
          // A card the server holds, renamed by this process.
          await writer.members.upsert('acme', [{ id: 'v0', name: `Renamed ${i}` }], 'merge', Date.now());
          expect((await list()).names.get('v0')).toBe(`Renamed ${i}`);
        }
      }
    } finally {
      await writer.close();
    }
  });
});
