/**
 * Two real server processes on one PostgreSQL database, receiving the same visits and the same
 * credit-charging calls at the same moment: counts and balances stay exact. Everything that
 * makes them exact is in the database (row locks, unique keys, one conditional UPDATE), so the
 * processes here share nothing but the database. PostgreSQL only: SQLite is one process's file.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, ensureWorkspace, systemClock, type Store, type Workspace } from '../src/core/index.js';
import { openStore } from '../src/storage/open-store.js';
import type { PostgresStore } from '../src/storage/postgres/postgres-store.js';
import { dropPostgresDatabase, postgresAvailable, postgresBackend } from './support/backends.js';
import { REPO_ROOT, freePort, startServerProcess, type ServerProcess } from './support/processes.js';
import { latestVersion } from '../src/storage/migration.js';
import { POSTGRES_MIGRATIONS } from '../src/storage/postgres/migrations.js';

const W = 30 * 60_000;
const WS = 'concurrency';

type Server = ServerProcess;

/** `profile-visitors serve` from the sources, as a separate process on this database. */
function startServer(databaseUrl: string, port: number): Promise<Server> {
  return startServerProcess({ DATABASE_URL: databaseUrl, PORT: String(port), LOG_LEVEL: 'warn', PG_POOL_SIZE: '8' });
}

/** A graceful stop (SIGTERM): in-flight requests finish and the pool closes. */
async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
  await s.exited;
}

async function post(url: string, path: string, key: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/**
 * A separate Node process with its own Store (its own pool) that charges one key `calls` times
 * at once, once told to go, so that two such processes charge at the same moment.
 */
function chargingProcess(databaseUrl: string, keyId: string, amount: number, calls: number) {
  const openStoreUrl = pathToFileURL(join(REPO_ROOT, 'src', 'storage', 'open-store.ts')).href;
  const script = `
    import { openStore } from ${JSON.stringify(openStoreUrl)};
    import { createInterface } from 'node:readline';
    const store = await openStore({ databaseUrl: ${JSON.stringify(databaseUrl)}, sqliteSynchronous: 'normal', pgPoolSize: 8 }, { migrate: false });
    console.log('ready');
    const rl = createInterface({ input: process.stdin });
    await new Promise((r) => rl.once('line', r));
    rl.close();
    const results = await Promise.all(Array.from({ length: ${calls} }, () => store.keys.charge(${JSON.stringify(WS)}, ${JSON.stringify(keyId)}, ${amount})));
    await store.close();
    console.log(JSON.stringify({ ok: results.filter((r) => r.ok).length, refused: results.filter((r) => !r.ok).length }));
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => out.includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`charging process exited (${code}) before it was ready: ${err}`)));
  });
  const done = new Promise<{ ok: number; refused: number }>((resolve, reject) =>
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last));
      else reject(new Error(`charging process failed (${code}): ${err}`));
    }),
  );
  return { ready, done, go: () => child.stdin.end('go\n') };
}

const name = postgresAvailable()
  ? 'two server processes on one PostgreSQL database'
  : 'two server processes on one PostgreSQL database (skipped: PostgreSQL unavailable)';

describe.skipIf(!postgresAvailable())(name, () => {
  let databaseUrl: string;
  let a: Server;
  let b: Server;
  let store: PostgresStore;
  let workspace: Workspace;
  let admin: string;
  const base = Date.now() - 12 * 60 * 60_000;

  beforeAll(async () => {
    databaseUrl = await postgresBackend.freshUrl();
    const [portA, portB] = [await freePort(), await freePort()];
    // Both start on the empty database at once: their migrations take turns.
    [a, b] = await Promise.all([startServer(databaseUrl, portA), startServer(databaseUrl, portB)]);
    store = (await openStore({ databaseUrl, sqliteSynchronous: 'normal', pgPoolSize: 4 }, { migrate: false })) as PostgresStore;
    const deps = { store: store as Store, clock: systemClock };
    workspace = await ensureWorkspace(deps, WS);
    admin = (await createApiKey(deps, workspace, { role: 'admin' })).secret;
    await store.members.upsert(
      WS,
      [
        { id: 'owner', name: 'Olga Owner', plan: 'premium' },
        { id: 'owner2', name: 'Otto Owner', plan: 'premium' },
        { id: 'owner3', name: 'Oona Owner', plan: 'premium' },
        ...Array.from({ length: 60 }, (_, i) => ({ id: `v${String(i).padStart(2, '0')}`, name: `Viewer ${i}` })),
      ],
      'replace',
      Date.now(),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a, b].filter(Boolean).map(stopServer));
    await store?.close();
    if (databaseUrl) await dropPostgresDatabase(databaseUrl);
  });

  const count = async (sql: string, params: unknown[] = []) => Number((await store.db.query<{ n: number }>(sql, params))[0]!.n);

  it('both servers run on the same database, migrated once', async () => {
    for (const s of [a, b]) expect(await fetch(`${s.url}/healthz`).then((r) => r.json())).toEqual({ status: 'ok', store: 'postgres' });
    expect(await count('SELECT count(*) AS n FROM schema_migrations')).toBe(latestVersion(POSTGRES_MIGRATIONS));
  });

  it('the same batch with the same client ids, sent to both servers three times at once, is stored once', async () => {
    // 200 visits, 4 per viewer, each a window apart: all would be recorded if none were a replay.
    const visits = Array.from({ length: 200 }, (_, i) => ({
      id: `batch-${i}`,
      profileId: 'owner',
      viewerId: `v${String(i % 50).padStart(2, '0')}`,
      viewedAt: base + Math.floor(i / 50) * W,
      source: 'search',
    }));
    const responses = await Promise.all([a, b, a, b, a, b].map((s) => post(s.url, '/v1/visits/batch', admin, { visits })));
    for (const r of responses) expect(r.status).toBe(200);
    for (let i = 0; i < visits.length; i++) {
      const statuses = responses.map((r) => r.body.results[i].status).sort();
      expect(statuses, `visit ${i}`).toEqual(['recorded', 'replayed', 'replayed', 'replayed', 'replayed', 'replayed']);
      for (const r of responses) expect(r.body.results[i].visitId).toBe(`batch-${i}`);
    }
    expect(responses.reduce((n, r) => n + r.body.recorded, 0)).toBe(200);
    expect(await count("SELECT count(*) AS n FROM visits WHERE workspace_id = $1 AND profile_id = 'owner'", [WS])).toBe(200);
    expect(await count('SELECT count(*) AS n FROM visit_client_ids WHERE workspace_id = $1', [WS])).toBe(200);
    const page = await store.visits.listViewers({ workspaceId: WS, profileId: 'owner', since: 0, until: null, offset: 0, limit: 100 });
    expect(page.total).toBe(50);
    expect(page.rows.every((r) => r.viewCount === 4 && r.firstViewedAt === base && r.lastViewedAt === base + 3 * W)).toBe(true);
  });

  it('single visits with the same client id, sent to both servers at the same moment, are recorded once', async () => {
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => {
        const visit = { id: `single-${i}`, profileId: 'owner2', viewerId: `v${String(i).padStart(2, '0')}`, viewedAt: base, source: 'feed' };
        return Promise.all([post(a.url, '/v1/visits', admin, visit), post(b.url, '/v1/visits', admin, visit)]);
      }),
    );
    for (const pair of results) {
      expect(pair.map((r) => r.status).sort()).toEqual([200, 201]);
      expect(pair.map((r) => r.body.status).sort()).toEqual(['recorded', 'replayed']);
    }
    expect(await count("SELECT count(*) AS n FROM visits WHERE workspace_id = $1 AND profile_id = 'owner2'", [WS])).toBe(60);
  });

  it('the same viewer and profile at the same instant on both servers count once, whatever the order of the pairs', async () => {
    const at = base + 10 * W;
    // Same pair, same instant and 1 ms later, without client ids: one view per viewer.
    const singles = await Promise.all(
      Array.from({ length: 60 }, (_, i) => {
        const viewerId = `v${String(i).padStart(2, '0')}`;
        return Promise.all(
          [a, b, a, b].map((s, k) => post(s.url, '/v1/visits', admin, { profileId: 'owner3', viewerId, viewedAt: at + (k >> 1), source: 'search' })),
        );
      }),
    );
    for (const four of singles) expect(four.map((r) => r.body.status).sort()).toEqual(['deduplicated', 'deduplicated', 'deduplicated', 'recorded']);
    // Batches naming the same pairs in opposite orders, on both servers at once: no deadlock, one view each.
    const viewers = Array.from({ length: 60 }, (_, i) => `v${String(i).padStart(2, '0')}`);
    const batch = (ids: string[], t: number) => ({ visits: ids.map((viewerId) => ({ profileId: 'owner3', viewerId, viewedAt: t, source: 'group' })) });
    const [forward, backward] = await Promise.all([
      post(a.url, '/v1/visits/batch', admin, batch(viewers, at + 2 * W)),
      post(b.url, '/v1/visits/batch', admin, batch([...viewers].reverse(), at + 2 * W + 5)),
    ]);
    expect(forward.status).toBe(200);
    expect(backward.status).toBe(200);
    expect(forward.body.recorded + backward.body.recorded).toBe(60);
    expect(forward.body.deduplicated + backward.body.deduplicated).toBe(60);
    const page = await store.visits.listViewers({ workspaceId: WS, profileId: 'owner3', since: 0, until: null, offset: 0, limit: 100 });
    expect(page.total).toBe(60);
    expect(page.rows.map((r) => r.viewCount)).toEqual(Array(60).fill(2));
    expect(await count("SELECT count(*) AS n FROM visits WHERE workspace_id = $1 AND profile_id = 'owner3'", [WS])).toBe(120);
    expect(await count("SELECT coalesce(sum(view_count), 0) AS n FROM visitor_summary WHERE workspace_id = $1 AND profile_id = 'owner3'", [WS])).toBe(120);
    expect(await count('SELECT count(*) AS n FROM visitor_summary WHERE view_count = 0')).toBe(0);
  });

  it('credit charges from two processes at the same moment are exact: no overdraft, none lost', async () => {
    const deps = { store: store as Store, clock: systemClock };
    const ones = (await createApiKey(deps, workspace, { role: 'admin', credits: 100 })).key;
    const threes = (await createApiKey(deps, workspace, { role: 'admin', credits: 100 })).key;
    const procs = [
      chargingProcess(databaseUrl, ones.id, 1, 80),
      chargingProcess(databaseUrl, ones.id, 1, 80),
      chargingProcess(databaseUrl, threes.id, 3, 30),
      chargingProcess(databaseUrl, threes.id, 3, 30),
    ];
    await Promise.all(procs.map((p) => p.ready));
    for (const p of procs) p.go();
    const [o1, o2, t1, t2] = await Promise.all(procs.map((p) => p.done));
    expect(o1!.ok + o2!.ok).toBe(100);
    expect(o1!.refused + o2!.refused).toBe(60);
    expect((await store.keys.get(WS, ones.id))!.credits).toBe(0);
    // 60 attempts of 3 on 100 credits: exactly 33 pass, 1 credit is left.
    expect(t1!.ok + t2!.ok).toBe(33);
    expect((await store.keys.get(WS, threes.id))!.credits).toBe(1);
  });

  it('LinkupAPI calls on both servers at once charge the balance exactly', async () => {
    const deps = { store: store as Store, clock: systemClock };
    const created = await createApiKey(deps, workspace, { role: 'admin', credits: 30 });
    const call = (s: Server) =>
      post(s.url, '/v2/profiles', created.secret, { account_id: 'owner', action: 'get_viewers', params: { count: 10, offset: 0 } });
    const responses = await Promise.all(Array.from({ length: 25 }, () => [call(a), call(b)]).flat());
    const ok = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status === 402);
    expect(ok).toHaveLength(30);
    expect(refused).toHaveLength(20);
    for (const r of ok) expect(r.body.metadata.credits_consumed).toBe(1);
    for (const r of refused) expect(r.body.metadata.credits_consumed).toBe(0);
    expect((await store.keys.get(WS, created.key.id))!.credits).toBe(0);
  });
});
