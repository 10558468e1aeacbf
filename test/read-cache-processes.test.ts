/**
 * The read cache's freshness check (src/storage/sqlite/read-cache.ts) asks SQLite, through
 * `PRAGMA data_version`, whether another connection committed to either file since it last
 * looked. These tests hold it to what users rely on: a request begun after another process
 * acknowledged a write sees that write, whichever file it went to (members in the main file,
 * visits in the inbox), from the store directly and through a real server process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AcceptedVisit, Store } from '../src/core/index.js';
import { openSqliteStore, type SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { REPO_ROOT, freePort, killServers, runCli, secretFrom, startServerProcess } from './support/processes.js';

const T = { timeout: 60_000 };
const dirs: string[] = [];
const freshPath = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pv-fresh-'));
  dirs.push(dir);
  return join(dir, 'test.db');
};
const open = (path: string, readCacheBytes = 0) => openSqliteStore({ path, synchronous: 'normal', migrate: true, readCacheBytes });
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** One store write from a separate Node process (test/fixtures/another-process.ts). */
function writeFromAnotherProcess(path: string, ...args: string[]): void {
  execFileSync(process.execPath, ['--import', 'tsx', 'test/fixtures/another-process.ts', path, ...args], { cwd: REPO_ROOT, stdio: 'pipe' });
}

describe('SQLite read cache and commits by another process', () => {
  const stores: SqliteStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it('the next request sees a member renamed and a visit recorded by another process', T, async () => {
    const path = freshPath();
    const store = open(path, 16 * 1024 * 1024);
    stores.push(store);
    const now = Date.now();
    await store.members.upsert('w', [{ id: 'owner', name: 'Owner', plan: 'premium' }, { id: 'a', name: 'Ann' }, { id: 'b', name: 'Bob' }], 'replace', now);
    await store.visits.record('w', [{ clientId: null, profileId: 'owner', viewerId: 'a', viewedAt: now - 60_000, source: 'search' }], 0);
    const list = () => store.visits.listViewers({ workspaceId: 'w', profileId: 'owner', since: 0, until: null, offset: 0, limit: 10 });
    // Read twice per request: the second answer comes from the cache.
    const request = async () => {
      store.beginRequest();
      const first = { list: await list(), ann: (await store.members.get('w', 'a'))?.name };
      expect({ list: await list(), ann: (await store.members.get('w', 'a'))?.name }).toEqual(first);
      return first;
    };
    expect(await request()).toMatchObject({ list: { total: 1 }, ann: 'Ann' });

    writeFromAnotherProcess(path, 'rename', 'w', 'a', 'Ann Renamed');
    expect((await request()).ann).toBe('Ann Renamed');

    writeFromAnotherProcess(path, 'visit', 'w', 'owner', 'b', String(now - 30_000));
    const after = await request();
    expect(after.list.total).toBe(2);
    expect(after.list.rows.map((r) => r.viewerId)).toEqual(['b', 'a']);
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
        // Cached by the server now, then read again from its cache: nothing was committed since.
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
