/**
 * The visit log (docs/visit-log.md): order and uniqueness under concurrent recording by several
 * processes (WORKERS=2 on one SQLite file, two servers on one PostgreSQL database), readers
 * never seeing a smaller position commit later; a log that cannot be written failing the
 * recording; erasure reaching the log; `/healthz?detail=1`; `profile-visitors rebuild`; visits
 * stored before the SQLite log existed.
 */
import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { VisitLogEntry } from '../src/core/index.js';
import { openStore } from '../src/storage/open-store.js';
import type { PostgresStore } from '../src/storage/postgres/postgres-store.js';
import type { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { BACKENDS, dropPostgresDatabase, postgresAvailable, postgresBackend, sqliteBackend, testStoreConfig } from './support/backends.js';
import { freePort, killServers, runCli, secretFrom, startServerProcess, type ServerProcess } from './support/processes.js';
import { catchUp, rebuildProjection, summaryCase, visitMix, wholeLog } from './support/projection-harness.js';
import { startTestApp } from './support/test-app.js';
import { MemberEvents } from '../src/webhooks/member-events.js';
import { webhookStoreFor } from '../src/webhooks/index.js';

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
        { name: 'webhooks', position: 0, head: 0, lagEntries: 0, lagSeconds: 0 },
        { name: 'webhooks.members', position: 0, head: 0, lagEntries: 0, lagSeconds: 0 },
      ]);
    } finally {
      await t.close();
    }
  });

  it("shows the member events (webhooks.members) behind the member-change log until they advance, to the key's own workspace only", T, async () => {
    // The app's member events never poll here: members written straight to the store (as the
    // command line does) stay behind until the test advances them.
    const t = await startTestApp(backend, { webhooks: { memberEventsPollMs: null } });
    try {
      const acme = await t.adminKey('acme');
      const other = await t.adminKey('other');
      const memberEvents = async (key: string) => {
        const res = await t.request('GET', '/healthz?detail=1', { headers: { 'x-api-key': key } });
        expect(res.status, res.text).toBe(200);
        return res.body.projections.find((p: { name: string }) => p.name === 'webhooks.members');
      };
      const none = { name: 'webhooks.members', position: 0, head: 0, lagEntries: 0, lagSeconds: 0 };
      expect(await memberEvents(acme)).toEqual(none);

      // Two members created a minute ago (by the time of the change the store records).
      t.clock.t = Date.now() - 60_000;
      await t.members('acme', [{ id: 'ann' }, { id: 'bob' }]);
      const behind = await memberEvents(acme);
      expect(behind).toEqual({ name: 'webhooks.members', position: 0, head: 2, lagEntries: 2, lagSeconds: expect.any(Number) });
      expect(behind.lagSeconds).toBeGreaterThanOrEqual(60);
      // The other workspace's admin sees its own (empty) member-change log, nothing of acme's.
      expect(await memberEvents(other)).toEqual(none);

      // Another process's member events (the checkpoint is shared) turn the changes into messages.
      await new MemberEvents({ store: webhookStoreFor(t.store), changes: t.store.memberChanges, clock: t.clock, onWritten: () => {} }).runOnce();
      expect(await memberEvents(acme)).toEqual({ name: 'webhooks.members', position: 2, head: 2, lagEntries: 0, lagSeconds: 0 });
      expect(await memberEvents(other)).toEqual(none);
    } finally {
      await t.close();
      if (backend.name === 'postgres') await dropPostgresDatabase(t.databaseUrl);
      else rmSync(dirname(t.databaseUrl), { recursive: true, force: true });
    }
  });
});

describe.each(BACKENDS)('erasing a member on $name', (backend) => {
  it('removes their visits from the log too, so a rebuild does not bring them back', T, async () => {
    const t = await startTestApp(backend);
    try {
      const key = await t.adminKey('acme');
      const headers = { 'x-api-key': key };
      await t.members('acme', ['owner', 'gone', 'stays'].map((id) => ({ id, plan: 'premium' as const })));
      for (const [profileId, viewerId] of [
        ['owner', 'gone'],
        ['owner', 'stays'],
        ['gone', 'owner'],
        ['stays', 'owner'],
      ]) {
        expect((await t.request('POST', '/v1/visits', { headers, body: { profileId, viewerId } })).status).toBe(201);
      }
      expect((await t.request('DELETE', '/v1/members/gone', { headers })).status).toBeLessThan(300);
      const log = await wholeLog(t.store);
      expect(log.map((e) => [e.profileId, e.viewerId])).toEqual([
        ['owner', 'stays'],
        ['stays', 'owner'],
      ]);
      await rebuildProjection(t.store.visitLog, t.store.projections.find((p) => p.name === 'summary')!);
      const list = await t.request('GET', '/v1/members/owner/visitors', { headers });
      expect(list.body.total).toBe(1);
      expect(list.body.viewers.map((v: { viewer: { id: string } | null }) => v.viewer?.id)).toEqual(['stays']);
    } finally {
      await t.close();
    }
  });
});

describe.each(BACKENDS)('profile-visitors rebuild on $name', (backend) => {
  it('rebuilds the summary from the log to what it was, and names the known projections for an unknown one', T, async () => {
    const url = await backend.freshUrl();
    try {
      const env = { DATABASE_URL: url, LOG_LEVEL: 'warn' };
      let store = await openStore(testStoreConfig(url));
      await store.workspaces.ensure('ws-a', 'A');
      await store.workspaces.ensure('ws-b', 'B');
      for (const m of visitMix(3, 400, Date.now() - 30 * 86_400_000)) await store.visits.record(m.ws, m.visits, 60_000);
      await catchUp(store, await summaryCase.of(store));
      const before = await summaryCase.snapshot(store);
      await store.close();
      const rebuilt = await runCli(['rebuild', 'summary'], env);
      expect(rebuilt.code).toBe(0);
      expect(rebuilt.stdout).toMatch(/rebuilt summary from the visit log/);
      const unknown = await runCli(['rebuild', 'nope'], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/no projection named "nope" \(known: summary, insights\)/);
      store = await openStore(testStoreConfig(url));
      try {
        expect(await summaryCase.snapshot(store)).toEqual(before);
      } finally {
        await store.close();
      }
    } finally {
      if (backend.name === 'postgres') await dropPostgresDatabase(url);
      else rmSync(dirname(url), { recursive: true, force: true });
    }
  });
});

describe('visits stored before the SQLite log existed', () => {
  it('are below the log\'s start, and a rebuild of the summary copies them into the log first', T, async () => {
    const url = await sqliteBackend.freshUrl();
    try {
      let store = await openStore(testStoreConfig(url));
      await store.workspaces.ensure('ws-a', 'A');
      await store.workspaces.ensure('ws-b', 'B');
      for (const m of visitMix(5, 300, Date.now() - 30 * 86_400_000)) await store.visits.record(m.ws, m.visits, 60_000);
      await catchUp(store, await summaryCase.of(store));
      const before = await summaryCase.snapshot(store);
      const logged = await wholeLog(store);
      await store.close();
      // As a bulk load leaves the main file: visits folded there, no inbox (bench/dataset-sqlite.ts).
      for (const f of ['-inbox', '-inbox-wal', '-inbox-shm']) if (existsSync(url + f)) rmSync(url + f);
      store = await openStore(testStoreConfig(url));
      try {
        expect(await wholeLog(store)).toEqual([]);
        expect(await summaryCase.snapshot(store)).toEqual(before);
        await rebuildProjection(store.visitLog, await summaryCase.of(store));
        expect(await summaryCase.snapshot(store)).toEqual(before);
        const copied = await wholeLog(store);
        expect(copied.map((e) => [e.workspaceId, e.position, e.visitId, e.viewedAt])).toEqual(logged.map((e) => [e.workspaceId, e.position, e.visitId, e.viewedAt]));
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dirname(url), { recursive: true, force: true });
    }
  });
});
