/**
 * The backends every conformance test loops over. Each test file gets a fresh database:
 * a new SQLite file in a temp folder, or a new PostgreSQL database on the local server.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Store } from '../../src/core/index.js';
import { openStore } from '../../src/storage/open-store.js';

export interface TestBackend {
  name: 'sqlite' | 'postgres';
  /** A DATABASE_URL for a brand-new, empty database. */
  freshUrl(): Promise<string>;
}

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Name prefix of the databases one test run creates (`pv_test_<start time>_<random>_`): the
 * global teardown drops exactly these, leaving other runs' databases alone.
 */
export function runDatabasePrefix(runId: string): string {
  return `pv_test_${runId}_`;
}

export const sqliteBackend: TestBackend = {
  name: 'sqlite',
  async freshUrl() {
    return join(mkdtempSync(join(tmpdir(), 'pv-test-')), 'test.db');
  },
};

export const postgresBackend: TestBackend = {
  name: 'postgres',
  async freshUrl() {
    const { default: pg } = await import('pg');
    const name = `${runDatabasePrefix(process.env.PV_TEST_RUN ?? `${Date.now().toString(36)}_solo`)}${randomBytes(4).toString('hex')}`;
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
      await dropStaleTestDatabases(client);
    } finally {
      await client.end();
    }
    return PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  },
};

/** Test databases older than this are left-overs of runs killed before their teardown. */
const STALE_AFTER_MS = 24 * 60 * 60_000;
let staleSwept = false;

/** Once per test process: drops earlier runs' test databases (the name carries its creation time). */
async function dropStaleTestDatabases(client: import('pg').Client): Promise<void> {
  if (staleSwept) return;
  staleSwept = true;
  const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'pv\\_test\\_%'");
  for (const { datname } of rows) {
    const created = parseInt(/^pv_test_([0-9a-z]+)_[0-9a-z_]+$/.exec(datname)?.[1] ?? '', 36);
    if (!(Date.now() - created > STALE_AFTER_MS)) continue;
    // Without FORCE: a database somebody is still connected to is left alone.
    await client.query(`DROP DATABASE IF EXISTS ${datname}`).catch(() => {});
  }
}

/** Drops a database made by `postgresBackend.freshUrl()` (connections still open are ended). */
export async function dropPostgresDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^pv_test_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to drop ${name}: not a test database`);
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Set by global-setup: whether PostgreSQL answered. */
export function postgresAvailable(): boolean {
  return process.env.PV_TEST_POSTGRES === '1';
}

export const BACKENDS: TestBackend[] = [sqliteBackend, ...(postgresAvailable() ? [postgresBackend] : [])];

/**
 * Where the entity store and the visit store live (docs/architecture.md): one backend for both,
 * then each pairing of one backend's entity store with the other's visit store.
 */
export const STORE_SETUPS: { name: string; entities: TestBackend; visits: TestBackend }[] = [
  ...BACKENDS.map((b) => ({ name: b.name, entities: b, visits: b })),
  ...(postgresAvailable()
    ? [
        { name: 'sqlite entities + postgres visits', entities: sqliteBackend, visits: postgresBackend },
        { name: 'postgres entities + sqlite visits', entities: postgresBackend, visits: sqliteBackend },
      ]
    : []),
];

/** How tests open a store on a database URL. */
export const testStoreConfig = (databaseUrl: string) => ({ databaseUrl, sqliteSynchronous: 'normal' as const, pgPoolSize: 5 });

export async function openFreshStore(backend: TestBackend): Promise<{ store: Store; url: string }> {
  const url = await backend.freshUrl();
  const store = await openStore(testStoreConfig(url));
  return { store, url };
}
