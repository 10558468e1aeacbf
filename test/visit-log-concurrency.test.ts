/**
 * The visit log under concurrent recording by several processes (docs/visit-log.md): WORKERS=2
 * on one SQLite file, and two separate servers on one PostgreSQL database. Every acknowledged
 * visit is in the log once, positions unique and strictly increasing, and a reader that sees a
 * position has seen every smaller one (checked by reading while recording goes on). And a log
 * that cannot be written fails the recording with a 5xx that acknowledges nothing.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { VisitLogEntry } from '../src/core/index.js';
import { openStore } from '../src/storage/open-store.js';
import type { PostgresStore } from '../src/storage/postgres/postgres-store.js';
import type { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { BACKENDS, dropPostgresDatabase, postgresAvailable, postgresBackend, sqliteBackend, testStoreConfig } from './support/backends.js';
import { freePort, killServers, runCli, secretFrom, startServerProcess, type ServerProcess } from './support/processes.js';
import { wholeLog } from './support/projection-harness.js';
import { startTestApp } from './support/test-app.js';

const T = { timeout: 180_000 };

async function setUp(url: string, servers: number, workers: string) {
  const env = { DATABASE_URL: url, LOG_LEVEL: 'warn', WORKERS: workers };
  const key = await runCli(['keys', 'create', '--workspace', 'acme'], env);
  expect(key.code).toBe(0);
  const headers = { 'x-api-key': secretFrom(key.stdout), 'content-type': 'application/json' };
  const started: ServerProcess[] = [];
  for (let i = 0; i < servers; i++) started.push(await startServerProcess({ ...env, PORT: String(await freePort()) }));
  for (let i = 0; i < 20; i++) {
    const put = await fetch(`${started[0]!.url}/v1/members/m${i}`, { method: 'PUT', headers, body: JSON.stringify({ name: `M${i}` }) });
    expect(put.status).toBeLessThan(300);
  }
  return { started, headers };
}

/** Records through every server at once (fresh connections, so WORKERS share them); returns the acknowledged ids. */
async function recordEverywhere(urls: string[], headers: Record<string, string>, n: number): Promise<string[]> {
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      fetch(`${urls[i % urls.length]}/v1/visits/batch`, {
        method: 'POST',
        headers: { ...headers, connection: 'close' },
        body: JSON.stringify({
          visits: Array.from({ length: 1 + (i % 5) * 10 }, (_, k) => ({
            profileId: `m${(i + k) % 20}`,
            viewerId: `m${(i * 3 + k + 1) % 20}`,
            viewedAt: Date.now() - (i * 100 + k) * 120_000,
          })),
        }),
      }).then(async (r) => {
        expect(r.status).toBe(200);
        const body = (await r.json()) as { results: { status: string; visitId?: string }[] };
        for (const x of body.results) if (x.status === 'recorded') ids.push(x.visitId!);
      }),
    ),
  );
  return ids;
}

function expectOrdered(log: VisitLogEntry[]): void {
  for (let i = 1; i < log.length; i++) expect(log[i]!.position).toBeGreaterThan(log[i - 1]!.position);
}

const cases = [
  { backend: sqliteBackend, title: 'WORKERS=2 on one SQLite file', servers: 1, workers: '2' },
  ...(postgresAvailable() ? [{ backend: postgresBackend, title: 'two servers on one PostgreSQL database', servers: 2, workers: '1' }] : []),
];

describe.each(cases)('the visit log with $title', ({ backend, servers, workers }) => {
  afterEach(() => killServers());

  it('holds every acknowledged visit once, in strictly increasing positions, and readers never see a gap filled later', T, async () => {
    const url = await backend.freshUrl();
    try {
      const { started, headers } = await setUp(url, servers, workers);
      const reader = await openStore(testStoreConfig(url));
      try {
        // Read while recording: whatever a reader saw must be a prefix of the final log.
        const seen: VisitLogEntry[][] = [];
        let recording = true;
        const reading = (async () => {
          while (recording) {
            seen.push(await wholeLog(reader));
            await new Promise((r) => setTimeout(r, 5));
          }
        })();
        const ids = await recordEverywhere(started.map((s) => s.url), headers, 120);
        recording = false;
        await reading;
        const log = await wholeLog(reader);
        expect(ids.length).toBeGreaterThan(100);
        expect(log.map((e) => e.visitId).sort()).toEqual([...ids].sort());
        expectOrdered(log);
        const positions = log.map((e) => e.position);
        for (const snapshot of seen) expect(snapshot.map((e) => e.position)).toEqual(positions.slice(0, snapshot.length));
      } finally {
        await reader.close();
      }
    } finally {
      await killServers();
      if (backend.name === 'postgres') await dropPostgresDatabase(url);
      else rmSync(dirname(url), { recursive: true, force: true });
    }
  });
});

describe.each(BACKENDS)('a visit log that cannot be written on $name', (backend) => {
  it('fails the recording with a 5xx in the API shape and acknowledges nothing', T, async () => {
    const t = await startTestApp(backend);
    try {
      const key = await t.adminKey('acme');
      const headers = { 'x-api-key': key };
      await t.members('acme', [
        { id: 'owner', plan: 'premium' },
        { id: 'viewer', plan: 'premium' },
      ]);
      if (t.store.kind === 'sqlite') {
        (t.store as SqliteStore).raw.exec("CREATE TEMP TRIGGER no_log BEFORE INSERT ON inbox.visit_log BEGIN SELECT RAISE(ABORT, 'the log is full'); END");
      } else {
        const db = (t.store as PostgresStore).db;
        await db.query("CREATE FUNCTION no_log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the log is full'; END $$");
        await db.query('CREATE TRIGGER no_log BEFORE INSERT ON visit_log FOR EACH ROW EXECUTE FUNCTION no_log()');
      }
      const res = await t.request('POST', '/v1/visits', { headers, body: { profileId: 'owner', viewerId: 'viewer' } });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.body).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
      const batch = await t.request('POST', '/v1/visits/batch', { headers, body: { visits: [{ profileId: 'owner', viewerId: 'viewer' }] } });
      expect(batch.status).toBeGreaterThanOrEqual(500);
      expect(await wholeLog(t.store)).toEqual([]);
      const list = await t.request('GET', '/v1/members/owner/visitors', { headers });
      expect(list.status).toBe(200);
      expect(list.body.total).toBe(0);
    } finally {
      await t.close();
    }
  });
});

describe.each(BACKENDS)('GET /healthz?detail=1 on $name', (backend) => {
  it('shows each projection of the admin key\'s own workspace with its lag; refuses without a key or with a member key', T, async () => {
    const t = await startTestApp(backend);
    try {
      const acme = await t.adminKey('acme');
      const other = await t.adminKey('other');
      await t.members('acme', [
        { id: 'owner', plan: 'premium' },
        { id: 'viewer', plan: 'premium' },
      ]);
      const member = await t.memberKey('acme', 'owner');
      const rec = await t.request('POST', '/v1/visits', { headers: { 'x-api-key': acme }, body: { profileId: 'owner', viewerId: 'viewer' } });
      expect(rec.status).toBe(201);
      const plain = await t.request('GET', '/healthz');
      expect(plain.body).toEqual({ status: 'ok', store: backend.name });
      expect((await t.request('GET', '/healthz?detail=1')).status).toBe(401);
      expect((await t.request('GET', '/healthz?detail=1', { headers: { 'x-api-key': member } })).status).toBe(403);
      expect((await t.request('GET', '/healthz?detail=yes', { headers: { 'x-api-key': acme } })).status).toBe(400);
      const detail = await t.request('GET', '/healthz?detail=1', { headers: { authorization: `Bearer ${acme}` } });
      expect(detail.status).toBe(200);
      const summary = detail.body.projections.find((p: { name: string }) => p.name === 'summary');
      expect(summary).toEqual({ name: 'summary', position: expect.any(Number), head: expect.any(Number), lagEntries: expect.any(Number), lagSeconds: expect.any(Number) });
      expect(summary.head).toBeGreaterThan(0);
      // Another workspace's admin sees its own (empty) log, nothing of acme's.
      const theirs = await t.request('GET', '/healthz?detail=1', { headers: { 'x-api-key': other } });
      expect(theirs.body.projections).toEqual([
        { name: 'summary', position: 0, head: 0, lagEntries: 0, lagSeconds: 0 },
        { name: 'insights', position: 0, head: 0, lagEntries: 0, lagSeconds: 0 },
      ]);
    } finally {
      await t.close();
    }
  });
});
