/**
 * Bulk loading into PostgreSQL. The bench owns one database per dataset key, created through
 * an admin URL (BENCH_PG_ADMIN_URL, else TEST_PG_URL, else postgres://postgres@127.0.0.1:5432/postgres)
 * or the database named by --database-url / BENCH_DATABASE_URL, which must be empty or marked
 * as the bench's own. The schema comes from the project's store (openStore with migrations);
 * rows go in as multi-row INSERT ... SELECT FROM unnest($1::text[], ...) chunks (pg-copy-streams
 * is not a dependency), two in flight, with secondary indexes dropped during the load.
 * `visitor_summary` is one INSERT ... SELECT ... GROUP BY per slice of owners. Each run gets a
 * fresh clone (CREATE DATABASE ... TEMPLATE), so write scenarios never drift the dataset.
 */
import pg from 'pg';
import { createApiKey, ensureWorkspace, systemClock } from '../src/core/index.js';
import { openStore } from '../src/storage/open-store.js';
import { latestVersion } from '../src/storage/migration.js';
import { POSTGRES_MIGRATIONS } from '../src/storage/postgres/migrations.js';
import type { PostgresStore } from '../src/storage/postgres/postgres-store.js';
import { OUTBOX_PROJECTION } from '../src/webhooks/outbox-name.js';
import type { BenchArgs } from './args.js';
import type { Dataset } from './dataset.js';
import type { DatasetStats } from './dataset-sqlite.js';
import { DAY_MS, WORKSPACE_ID, OwnerLaw, datasetKey, datasetShape, memberId, type DatasetShape } from './dataset-shape.js';
import { SOURCES, VisitGenerator, buildGraph, generateMembers, visitCounts } from './dataset-generate.js';
import { META_DDL, META_TABLE, NotABenchDatabaseError } from './marker.js';
import { phase } from './progress.js';
import { DERIVED_TABLES, checkDataset } from './derived.js';

const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: 'profile-visitors-bench' });
  await c.connect();
  return c;
}

type PgMarker = { kind: 'absent' } | { kind: 'empty' } | { kind: 'ours'; key: string; complete: boolean; meta: Record<string, string> };

/** Inspects a database without writing to it; throws when it holds anything but a bench dataset. */
async function readPgMarker(url: string): Promise<PgMarker> {
  let c: pg.Client;
  try {
    c = await client(url);
  } catch (err) {
    if ((err as { code?: string }).code === '3D000') return { kind: 'absent' };
    throw err;
  }
  try {
    const marked = (await c.query(`SELECT to_regclass('${META_TABLE}') IS NOT NULL AS m`)).rows[0].m as boolean;
    if (!marked) {
      const n = Number((await c.query("SELECT count(*) AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")).rows[0].n);
      if (n === 0) return { kind: 'empty' };
      throw new NotABenchDatabaseError(`refusing to use ${databaseName(url)}: it has tables but no ${META_TABLE}, so it is not a database this bench created`);
    }
    const meta = Object.fromEntries((await c.query(`SELECT name, value FROM ${META_TABLE}`)).rows.map((r) => [r.name, r.value]));
    if (!meta.dataset_key) throw new NotABenchDatabaseError(`refusing to use ${databaseName(url)}: its ${META_TABLE} names no dataset`);
    return { kind: 'ours', key: meta.dataset_key, complete: meta.complete === '1', meta };
  } finally {
    await c.end();
  }
}

/** Runs chunked statements with at most `width` in flight, each on its own connection. */
class Pipeline {
  private inflight: Promise<unknown>[] = [];
  private next = 0;
  constructor(private clients: pg.Client[]) {}

  async push(text: string, values: unknown[]) {
    if (this.inflight.length >= this.clients.length) await this.inflight.shift();
    const c = this.clients[this.next++ % this.clients.length]!;
    this.inflight.push(c.query(text, values));
  }

  async flush() {
    await Promise.all(this.inflight);
    this.inflight = [];
  }
}

/** Buffers rows column by column and writes them as INSERT ... SELECT FROM unnest(arrays). */
class UnnestInsert {
  private cols: unknown[][];
  private text: string;
  rows = 0;
  constructor(
    private pipe: Pipeline,
    table: string,
    columns: [string, string][],
    private chunk = 20_000,
  ) {
    this.cols = columns.map(() => []);
    this.text = `INSERT INTO ${table} (${columns.map((c) => c[0]).join(', ')}) SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c[1]}[]`).join(', ')})`;
  }
  async push(...values: unknown[]) {
    for (let i = 0; i < values.length; i++) this.cols[i]!.push(values[i]);
    this.rows++;
    if (this.cols[0]!.length >= this.chunk) await this.flush();
  }
  async flush() {
    if (this.cols[0]!.length === 0) return;
    const values = this.cols;
    this.cols = values.map(() => []);
    await this.pipe.push(this.text, values);
  }
}

async function buildPostgresDataset(url: string, key: string, shape: DatasetShape, schemaVersion: number): Promise<DatasetStats> {
  const started = Date.now();
  const mark = await client(url);
  await mark.query(META_DDL);
  const setMeta = (c: pg.Client, name: string, value: string) =>
    c.query(`INSERT INTO ${META_TABLE} (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, [name, value]);
  await setMeta(mark, 'dataset_key', key);
  await setMeta(mark, 'complete', '0');
  await mark.end();

  const now = Date.now();
  const store = (await openStore({ databaseUrl: url, sqliteSynchronous: 'normal', pgPoolSize: 2 }, { migrate: true })) as PostgresStore;
  const deps = { store, clock: systemClock };
  const workspace = await ensureWorkspace(deps, WORKSPACE_ID, 'Benchmark');
  const admin = await createApiKey(deps, workspace, { role: 'admin', name: 'bench admin' });
  // Every month the visits fall in, through the store's own partitioning.
  await store.partitions.ensureFor(Array.from({ length: shape.days + 1 }, (_, d) => now - d * DAY_MS));
  await store.close();

  const clients = [await client(url), await client(url)];
  for (const c of clients) await c.query("SET synchronous_commit = off; SET work_mem = '512MB'; SET maintenance_work_mem = '1GB'");
  const [main] = clients as [pg.Client, pg.Client];
  const indexes = (
    await main.query(`
      SELECT i.indexname AS name, i.indexdef AS sql FROM pg_indexes i
      WHERE i.schemaname = 'public' AND i.tablename IN ('members', 'connections', 'visits', 'visitor_summary')
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`)
  ).rows as { name: string; sql: string }[];
  for (const ix of indexes) await main.query(`DROP INDEX IF EXISTS ${ix.name}`);
  const pipe = new Pipeline(clients);

  const members = new UnnestInsert(pipe, 'members', [
    ['workspace_id', 'text'], ['id', 'text'], ['name', 'text'], ['headline', 'text'], ['image_url', 'text'], ['company', 'text'], ['industry', 'text'],
    ['location', 'text'], ['public_identifier', 'text'], ['profile_url', 'text'], ['plan', 'text'], ['visibility', 'text'], ['created_at', 'bigint'], ['updated_at', 'bigint'],
  ], 10_000);
  let p = phase('members', shape.members);
  for (const m of generateMembers(shape)) {
    await members.push(WORKSPACE_ID, m.id, m.name, m.headline, m.imageUrl, m.company, m.industry, m.location, m.publicIdentifier, m.profileUrl, m.plan, m.visibility, now, now);
    p.tick();
  }
  await members.flush();
  await pipe.flush();
  p.done();

  const graph = buildGraph(shape);
  const ids = Array.from({ length: shape.members }, (_, i) => memberId(i));
  const conns = new UnnestInsert(pipe, 'connections', [['workspace_id', 'text'], ['member_id', 'text'], ['other_id', 'text'], ['created_at', 'bigint']], 50_000);
  p = phase('connections', graph.rows);
  for (let i = 0; i < shape.members; i++) {
    for (let k = graph.offsets[i]!; k < graph.offsets[i + 1]!; k++) await conns.push(WORKSPACE_ID, ids[i], ids[graph.adj[k]!], now);
    p.tick(graph.offsets[i + 1]! - graph.offsets[i]!);
  }
  await conns.flush();
  await pipe.flush();
  p.done();

  const law = new OwnerLaw(shape);
  const counts = visitCounts(shape, law);
  const gen = new VisitGenerator(shape, now);
  const visits = new UnnestInsert(pipe, 'visits', [['workspace_id', 'text'], ['profile_id', 'text'], ['viewer_id', 'text'], ['viewed_at', 'bigint'], ['source', 'text']], 50_000);
  p = phase('visits', shape.visits);
  let celebrityVisits = 0;
  for (let owner = 0; owner < shape.members; owner++) {
    const c = counts[owner]!;
    if (c === 0) continue;
    const v = gen.forOwner(owner, c);
    for (let k = 0; k < v.length; k++) await visits.push(WORKSPACE_ID, ids[owner], ids[v.viewer[k]!], v.viewedAt[k], SOURCES[v.source[k]!]);
    if (owner === 0) celebrityVisits = v.length;
    p.tick(c);
  }
  await visits.flush();
  await pipe.flush();
  p.done();

  const rebuild = async (tables: string[]) => {
    const todo = indexes.filter((ix) => tables.some((t) => new RegExp(`\\bON\\s+(ONLY\\s+)?(public\\.)?${t}\\b`, 'i').test(ix.sql)));
    const q = phase(`indexes ${tables.join(',')}`, todo.length);
    await Promise.all(
      todo.map(async (ix, i) => {
        // pg_indexes shows a partitioned table's index as "ON ONLY visits", which would build it
        // for the parent alone and leave every partition unindexed: build it for all partitions.
        await clients[i % clients.length]!.query(ix.sql.replace(/\bON ONLY\b/i, 'ON'));
        q.tick();
      }),
    );
    q.done();
  };
  await rebuild(['members', 'connections', 'visits']);

  const code = `CASE source ${SOURCES.map((s, i) => `WHEN '${s}' THEN ${i}`).join(' ')} ELSE ${SOURCES.indexOf('other')} END`;
  const decode = `CASE m & 15 ${SOURCES.map((s, i) => `WHEN ${i} THEN '${s}'`).join(' ')} END`;
  const summarize = `
    INSERT INTO visitor_summary (workspace_id, profile_id, viewer_id, view_count, first_viewed_at, last_viewed_at, last_source)
    SELECT workspace_id, profile_id, viewer_id, n, first, m >> 4, ${decode}
    FROM (
      SELECT workspace_id, profile_id, viewer_id, count(*) AS n, min(viewed_at) AS first, max(viewed_at * 16 + ${code}) AS m
      FROM visits WHERE workspace_id = $1 AND profile_id >= $2 AND profile_id < $3
      GROUP BY workspace_id, profile_id, viewer_id
    ) s`;
  const slices = 50;
  const slice = Math.ceil(shape.members / slices);
  p = phase('visitor_summary', shape.members);
  for (let lo = 0; lo < shape.members; lo += slice) {
    const hi = lo + slice;
    await pipe.push(summarize, [WORKSPACE_ID, memberId(lo), hi >= shape.members ? 'n' : memberId(hi)]);
    p.tick(Math.min(slice, shape.members - lo));
  }
  await pipe.flush();
  p.done();
  await rebuild(['visitor_summary']);
  for (const d of DERIVED_TABLES) {
    if (!(await main.query('SELECT to_regclass($1) IS NOT NULL AS e', [d.table])).rows[0].e) continue;
    const q = phase(d.table, 1);
    await main.query(`DELETE FROM ${d.table}`);
    await main.query(d.fill);
    q.done();
  }
  // Every counted visit is in the visit log (docs/visit-log.md), at positions in id order, as
  // migration 8 fills it for visits stored before the log existed.
  if ((await main.query("SELECT to_regclass('visit_log') IS NOT NULL AS e")).rows[0].e) {
    const q = phase('visit_log', 1);
    await main.query('DELETE FROM visit_log');
    await main.query('DELETE FROM visit_log_heads');
    await main.query(`INSERT INTO visit_log (workspace_id, position, visit_id, profile_id, viewer_id, viewed_at, source, client_id, recorded_at)
      SELECT workspace_id, row_number() OVER (PARTITION BY workspace_id ORDER BY id), id, profile_id, viewer_id, viewed_at, source, client_id, viewed_at FROM visits`);
    await main.query(`INSERT INTO visit_log_heads (workspace_id, position, recorded_at)
      SELECT workspace_id, max(position), max(recorded_at) FROM visit_log GROUP BY workspace_id`);
    // The insights projection was filled from these visits (derived.ts): it stands at the head.
    // So does the webhook outbox: the dataset has no endpoint, so walking these entries would
    // enqueue nothing, and a server would otherwise spend its first minutes walking 10,000,000
    // of them before the webhooks scenario could start.
    const atHead = [...((await main.query("SELECT to_regclass('insight_slots') IS NOT NULL AS e")).rows[0].e ? ['insights'] : []), OUTBOX_PROJECTION];
    await main.query(
      `INSERT INTO projection_checkpoints (name, workspace_id, position, updated_at)
        SELECT n, workspace_id, position, 0 FROM visit_log_heads, unnest($1::text[]) AS n
        ON CONFLICT (name, workspace_id) DO UPDATE SET position = excluded.position`,
      [atHead],
    );
    q.done();
  }
  p = phase('vacuum analyze', 1);
  await main.query('VACUUM (ANALYZE)');
  p.done();

  const one = async (sql: string, ...args: unknown[]) => Number((await main.query(sql, args)).rows[0].n);
  const stats: DatasetStats = {
    members: await one('SELECT count(*) AS n FROM members'),
    connectionRows: await one('SELECT count(*) AS n FROM connections'),
    visits: await one('SELECT count(*) AS n FROM visits'),
    summaryRows: await one('SELECT count(*) AS n FROM visitor_summary'),
    celebrityVisits,
    celebrityViewers: await one('SELECT count(*) AS n FROM visitor_summary WHERE workspace_id = $1 AND profile_id = $2', WORKSPACE_ID, memberId(0)),
    buildSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
  // The next visit ids must not collide with the loaded ones.
  await main.query("SELECT setval('visits_id_seq', (SELECT coalesce(max(id), 1) FROM visits))");
  await setMeta(main, 'admin_secret', admin.secret);
  await setMeta(main, 'generated_at', String(now));
  await setMeta(main, 'schema_version', String(schemaVersion));
  await setMeta(main, 'stats', JSON.stringify(stats));
  await checkDataset(url, async (since) =>
    Number((await main.query('SELECT count(*) AS n FROM visitor_summary WHERE workspace_id = $1 AND profile_id = $2 AND last_viewed_at >= $3', [WORKSPACE_ID, memberId(0), since])).rows[0].n),
  );
  await setMeta(main, 'complete', '1');
  for (const c of clients) await c.end();
  return stats;
}

export async function ensurePostgresDataset(args: BenchArgs): Promise<Dataset> {
  const shape = datasetShape(args.scale, args.seed);
  const schemaVersion = latestVersion(POSTGRES_MIGRATIONS);
  const key = datasetKey(shape, 'postgres', schemaVersion);
  const given = args.databaseUrl;
  const url = given ?? withDatabase(ADMIN_URL, `pv_bench_${key.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}`);
  const name = databaseName(url);
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`the bench database name must be lowercase letters, digits and _, got "${name}"`);
  const admin = await client(given ? withDatabase(given, 'postgres') : ADMIN_URL);
  try {
    const marker = await readPgMarker(url);
    let reused = false;
    if (marker.kind === 'ours' && marker.key !== key) {
      throw new NotABenchDatabaseError(`refusing to use ${name}: it holds bench dataset ${marker.key}, not ${key}; drop it or name another database`);
    }
    if (marker.kind === 'ours' && marker.complete && !args.rebuild) {
      reused = true;
      console.log(`dataset ${key}: reusing database ${name}`);
    } else {
      if (marker.kind === 'ours') {
        console.log(`dataset ${key}: ${marker.complete ? 'rebuilding' : 'previous build unfinished, rebuilding'} database ${name}`);
        await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
        await admin.query(`CREATE DATABASE ${name}`);
      } else if (marker.kind === 'absent') {
        await admin.query(`CREATE DATABASE ${name}`);
      }
      console.log(`dataset ${key}: building ${shape.members.toLocaleString('en-US')} members, ~${(shape.members * shape.connectionsPerMember).toLocaleString('en-US')} connection rows, ${shape.visits.toLocaleString('en-US')} visits in ${name}`);
      const stats = await buildPostgresDataset(url, key, shape, schemaVersion);
      console.log(`dataset ${key}: built in ${stats.buildSeconds} s`);
    }
    const check = await readPgMarker(url);
    if (check.kind !== 'ours' || check.key !== key || !check.complete) throw new NotABenchDatabaseError(`${name} is not a complete bench dataset`);
    const c = await client(url);
    const blocked = new Set(
      (await c.query("SELECT id FROM members WHERE workspace_id = $1 AND plan = 'free' AND visibility = 'private'", [WORKSPACE_ID])).rows.map((r) => Number(String(r.id).slice(1))),
    );
    const premium = new Set(
      (await c.query("SELECT id FROM members WHERE workspace_id = $1 AND plan = 'premium'", [WORKSPACE_ID])).rows.map((r) => Number(String(r.id).slice(1))),
    );
    await c.end();
    const runName = `${name}_run`;
    const runUrl = withDatabase(url, runName);
    const dropRun = async () => {
      const a = await client(withDatabase(url, 'postgres'));
      try {
        const m = await readPgMarker(runUrl);
        if (m.kind === 'ours' || m.kind === 'empty') await a.query(`DROP DATABASE IF EXISTS ${runName} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    };
    return {
      key,
      shape,
      adminSecret: check.meta.admin_secret!,
      generatedAt: Number(check.meta.generated_at),
      stats: JSON.parse(check.meta.stats!) as DatasetStats,
      reused,
      blockedOwners: blocked,
      premiumOwners: premium,
      async databaseUrlForRun() {
        await dropRun();
        const a = await client(withDatabase(url, 'postgres'));
        try {
          await a.query(`CREATE DATABASE ${runName} TEMPLATE ${name}`);
        } finally {
          await a.end();
        }
        const m = await readPgMarker(runUrl);
        if (m.kind !== 'ours' || m.key !== key) throw new NotABenchDatabaseError(`${runName} is not a bench dataset`);
        return runUrl;
      },
      cleanup: dropRun,
    };
  } finally {
    await admin.end();
  }
}
