/**
 * Schema versions, on every backend: a database made by the previous version keeps its data
 * once migrated, a database newer than the code is refused, `profile-visitors migrate` brings a
 * database up to date (several at once on PostgreSQL), and a bad DATABASE_URL stops start-up
 * with a message naming it.
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/core/index.js';
import { SchemaTooNewError, latestVersion, type Migration } from '../src/storage/migration.js';
import { openStore } from '../src/storage/open-store.js';
import { PgDatabase, connectClient } from '../src/storage/postgres/database.js';
import { POSTGRES_MIGRATIONS } from '../src/storage/postgres/migrations.js';
import { VisitPartitions } from '../src/storage/postgres/partitions.js';
import { migratePostgres, postgresSchemaVersion } from '../src/storage/postgres/schema.js';
import { migrateSqlite, schemaVersion } from '../src/storage/sqlite/database.js';
import { SQLITE_MIGRATIONS } from '../src/storage/sqlite/migrations.js';
import { BACKENDS, PG_ADMIN_URL, dropPostgresDatabase, postgresAvailable, type TestBackend } from './support/backends.js';
import { runCli, type CliResult } from './support/processes.js';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const W = 30 * 60_000;

/** Raw access to a database of either backend, below the store: `?` placeholders on both. */
interface RawDb {
  exec(sql: string, params?: unknown[]): Promise<void>;
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Applies these migrations the way the backend's runner does. */
  migrate(migrations: readonly Migration[]): Promise<number[]>;
  version(): Promise<number>;
  /** What the code of the previous version did besides migrating (PostgreSQL: create the month's partition). */
  prepareForVisitsAt(times: number[]): Promise<void>;
  close(): Promise<void>;
}

async function openRaw(backend: TestBackend, url: string): Promise<RawDb> {
  if (backend.name === 'sqlite') {
    const db = new Database(url);
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    return {
      async exec(sql, params = []) {
        db.prepare(sql).run(...params);
      },
      async rows<T>(sql: string, params: unknown[] = []) {
        return db.prepare(sql).all(...params) as T[];
      },
      async migrate(migrations) {
        return migrateSqlite(db, migrations);
      },
      async version() {
        return schemaVersion(db);
      },
      async prepareForVisitsAt() {},
      async close() {
        db.close();
      },
    };
  }
  const client = await connectClient(url);
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    async exec(sql, params = []) {
      await client.query(numbered(sql), params);
    },
    async rows<T>(sql: string, params: unknown[] = []) {
      return (await client.query(numbered(sql), params)).rows as T[];
    },
    async migrate(migrations) {
      return migratePostgres(client, migrations);
    },
    async version() {
      return postgresSchemaVersion(client);
    },
    async prepareForVisitsAt(times) {
      const db = new PgDatabase(url, 1);
      await new VisitPartitions(db).ensureFor(times);
      await db.close();
    },
    async close() {
      await client.end();
    },
  };
}

const MIGRATIONS: Record<TestBackend['name'], readonly Migration[]> = { sqlite: SQLITE_MIGRATIONS, postgres: POSTGRES_MIGRATIONS };

function open(url: string, migrate = true): Promise<Store> {
  return openStore({ databaseUrl: url, sqliteSynchronous: 'normal', pgPoolSize: 3 }, { migrate });
}

/** Runs the real `profile-visitors` command from the sources on this database. */
function cli(args: string[], databaseUrl: string): Promise<CliResult> {
  return runCli(args, { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' });
}

describe.each(BACKENDS)('schema migrations on $name', (backend) => {
  const migrations = MIGRATIONS[backend.name];
  const latest = latestVersion(migrations);
  const urls: string[] = [];
  const fresh = async () => {
    const url = await backend.freshUrl();
    urls.push(url);
    return url;
  };
  afterAll(async () => {
    if (backend.name === 'postgres') for (const url of urls) await dropPostgresDatabase(url);
  });

  it('has more than one migration, numbered 1..N', () => {
    expect(migrations.map((m) => m.version)).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
    expect(latest).toBeGreaterThanOrEqual(2);
  });

  it('a database created by the previous schema version keeps its data after migrating', async () => {
    const url = await fresh();
    const raw = await openRaw(backend, url);
    expect(await raw.migrate(migrations.filter((m) => m.version < latest))).toEqual(Array.from({ length: latest - 1 }, (_, i) => i + 1));
    expect(await raw.version()).toBe(latest - 1);
    await raw.prepareForVisitsAt([T0 - W, T0]);
    await raw.exec('INSERT INTO workspaces (id, name, settings, created_at) VALUES (?, ?, ?, ?)', ['old', 'Old Co', JSON.stringify({ dedupWindowMs: W, freeFullViewers: 2 }), 1000]);
    await raw.exec(
      "INSERT INTO members (workspace_id, id, name, headline, plan, visibility, created_at, updated_at) VALUES (?, ?, ?, ?, 'premium', 'full', 1000, 2000)",
      ['old', 'owner', 'Olga', 'CEO'],
    );
    await raw.exec("INSERT INTO members (workspace_id, id, name, plan, visibility, created_at, updated_at) VALUES (?, ?, ?, 'free', 'private', 1000, 1000)", [
      'old',
      'viewer',
      'Vic',
    ]);
    await raw.exec('INSERT INTO connections (workspace_id, member_id, other_id, created_at) VALUES (?, ?, ?, 1), (?, ?, ?, 1)', [
      'old',
      'owner',
      'viewer',
      'old',
      'viewer',
      'owner',
    ]);
    await raw.exec('INSERT INTO visits (workspace_id, profile_id, viewer_id, viewed_at, source, client_id) VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)', [
      'old',
      'owner',
      'viewer',
      T0 - W,
      'search',
      'old-client',
      'old',
      'owner',
      'viewer',
      T0,
      'feed',
      null,
    ]);
    if (backend.name === 'postgres') {
      await raw.exec('INSERT INTO visit_client_ids (workspace_id, client_id, viewed_at) VALUES (?, ?, ?)', ['old', 'old-client', T0 - W]);
    }
    await raw.exec(
      "INSERT INTO visitor_summary (workspace_id, profile_id, viewer_id, view_count, first_viewed_at, last_viewed_at, last_source) VALUES (?, ?, ?, 2, ?, ?, 'feed')",
      ['old', 'owner', 'viewer', T0 - W, T0],
    );
    // From version 4 on, the code of the time kept the per-day histogram of last views too.
    const hasHistogram = await raw.rows('SELECT 1 FROM viewer_day_counts LIMIT 1').then(
      () => true,
      () => false,
    );
    if (hasHistogram) {
      await raw.exec('INSERT INTO viewer_day_counts (workspace_id, profile_id, day, viewers) VALUES (?, ?, ?, 1)', ['old', 'owner', Math.floor(T0 / 86_400_000)]);
    }
    await raw.exec("INSERT INTO api_keys (id, workspace_id, secret_hash, role, member_id, name, credits, created_at) VALUES (?, ?, ?, 'admin', NULL, ?, 9, 1000)", [
      'key-1',
      'old',
      'hash-1',
      'ops',
    ]);
    await raw.close();

    // The code of this version refuses to run on it without migrating.
    await expect(open(url, false)).rejects.toThrow(/run "profile-visitors migrate"/);

    const store = await open(url);
    try {
      const ws = await store.workspaces.get('old');
      expect(ws).toMatchObject({ id: 'old', name: 'Old Co', createdAt: 1000 });
      expect(ws!.settings).toMatchObject({ dedupWindowMs: W, freeFullViewers: 2, premiumHistoryDays: 365 });
      expect(await store.members.get('old', 'owner')).toMatchObject({ name: 'Olga', headline: 'CEO', plan: 'premium', createdAt: 1000, updatedAt: 2000 });
      expect((await store.members.get('old', 'viewer'))!.visibility).toBe('private');
      expect(await store.connections.list('old', 'owner', 0, 10)).toEqual({ total: 1, ids: ['viewer'] });
      expect((await store.connections.neighbors('old', ['owner'])).get('owner')).toEqual(['viewer']);
      const page = async (since: number, until: number | null) => {
        const { total, rows } = await store.visits.listViewers({ workspaceId: 'old', profileId: 'owner', since, until, offset: 0, limit: 10 });
        return { total, rows };
      };
      expect(await page(0, null)).toEqual({
        total: 1,
        rows: [{ viewerId: 'viewer', viewCount: 2, firstViewedAt: T0 - W, lastViewedAt: T0, lastSource: 'feed' }],
      });
      expect(await page(T0 - W, T0)).toEqual({
        total: 1,
        rows: [{ viewerId: 'viewer', viewCount: 1, firstViewedAt: T0 - W, lastViewedAt: T0 - W, lastSource: 'search' }],
      });
      // The old visits still take part in idempotency and dedup.
      expect(await store.visits.record('old', [{ clientId: 'old-client', profileId: 'owner', viewerId: 'viewer', viewedAt: T0 - W, source: 'search' }], W)).toEqual([
        { status: 'replayed', visitId: 'old-client' },
      ]);
      expect((await store.visits.record('old', [{ clientId: null, profileId: 'owner', viewerId: 'viewer', viewedAt: T0 + 1, source: 'search' }], W))[0]!.status).toBe(
        'deduplicated',
      );
      expect(await store.keys.findBySecretHash('hash-1')).toMatchObject({ id: 'key-1', workspaceId: 'old', role: 'admin', name: 'ops', credits: 9 });
      expect(await store.keys.charge('old', 'key-1', 4)).toEqual({ ok: true, remaining: 5 });
    } finally {
      await store.close();
    }
    const after = await openRaw(backend, url);
    expect(await after.version()).toBe(latest);
    const names = (await after.rows<{ name: string }>('SELECT name FROM schema_migrations ORDER BY version')).map((r) => r.name);
    expect(names).toEqual(migrations.map((m) => m.name));
    await after.close();
  });

  it('an empty database opened without migrating asks for `profile-visitors migrate`', async () => {
    const url = await fresh();
    await expect(open(url, false)).rejects.toThrow(`the database schema is at version 0, this build needs ${latest}: run "profile-visitors migrate"`);
  });

  it('refuses a database whose schema is newer than the code, with or without migrating', async () => {
    const url = await fresh();
    await (await open(url)).close();
    const raw = await openRaw(backend, url);
    await raw.exec('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [latest + 1, 'from the future', Date.now()]);
    await raw.close();
    await expect(open(url)).rejects.toBeInstanceOf(SchemaTooNewError);
    await expect(open(url, false)).rejects.toBeInstanceOf(SchemaTooNewError);
    await expect(open(url)).rejects.toThrow(`the database schema is at version ${latest + 1}, newer than this build knows (${latest})`);
    const res = await cli(['migrate'], url);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`newer than this build knows (${latest})`);
  });

  it('`profile-visitors migrate` brings a new database to the latest version, and again is a no-op', async () => {
    const url = await fresh();
    for (let run = 0; run < 2; run++) {
      const res = await cli(['migrate'], url);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      expect(res.stdout.trim()).toBe(run === 0 ? `created schema v${latest} (${backend.name})` : `schema up to date: v${latest} (${backend.name})`);
    }
    const raw = await openRaw(backend, url);
    expect(await raw.version()).toBe(latest);
    expect(await raw.rows('SELECT version FROM schema_migrations')).toHaveLength(latest);
    await raw.close();
    const store = await open(url, false);
    expect(store.kind).toBe(backend.name);
    await store.close();
  });
});

const pgOnly = postgresAvailable() ? 'PostgreSQL start-up' : 'PostgreSQL start-up (skipped: PostgreSQL unavailable)';
describe.skipIf(!postgresAvailable())(pgOnly, () => {
  const base = new URL(PG_ADMIN_URL);
  const at = (path: string, user = base.username, password = '') => `postgres://${user}${password ? `:${password}` : ''}@${base.host}/${path}`;

  it('several migrators starting at once on one database apply each migration once', async () => {
    const { postgresBackend } = await import('./support/backends.js');
    const url = await postgresBackend.freshUrl();
    try {
      const results = await Promise.all([cli(['migrate'], url), cli(['migrate'], url), open(url).then((s) => s.close())]);
      for (const r of results.slice(0, 2) as CliResult[]) {
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
      }
      const client = await connectClient(url);
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      await client.end();
      expect(rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    } finally {
      await dropPostgresDatabase(url);
    }
  });

  it('an unknown database stops start-up with a message naming the URL, without its password', async () => {
    const url = at('pv_test_does_not_exist', base.username, 's3cret-pw');
    const err = await open(url).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`cannot open PostgreSQL database ${at('pv_test_does_not_exist')}: the database does not exist`);
    expect((err as Error).message).not.toContain('s3cret-pw');
    const res = await cli(['serve'], url);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`cannot open PostgreSQL database ${at('pv_test_does_not_exist')}`);
    expect(res.stderr).not.toContain('s3cret-pw');
  });

  it('an unreachable server stops start-up with a message naming the URL', async () => {
    const url = `postgres://${base.username}@127.0.0.1:1/pv_test_nowhere`;
    await expect(open(url)).rejects.toThrow(`cannot open PostgreSQL database ${url}: it could not be reached`);
  });

  it('every pooled connection plans its statements once: the visitor page is not planned anew on each request', async () => {
    // A custom plan per execution cost 0.8 ms of planning for a 0.2 ms page on the bench dataset.
    const db = new PgDatabase(PG_ADMIN_URL, 3);
    try {
      const held = await Promise.all([db.pool.connect(), db.pool.connect(), db.pool.connect()]);
      const modes = await Promise.all(held.map(async (c) => (await c.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode')).rows[0]!.plan_cache_mode));
      for (const c of held) c.release();
      expect(modes).toEqual(['force_generic_plan', 'force_generic_plan', 'force_generic_plan']);
    } finally {
      await db.close();
    }
  });

  it('a URL that does not name the user is refused before connecting', async () => {
    await expect(open(`postgres://${base.host}/postgres`)).rejects.toThrow(/DATABASE_URL must name the PostgreSQL user/);
  });
});
