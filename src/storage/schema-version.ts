/**
 * The schema version a database is at, read without changing anything (0: no schema yet, or no
 * database file yet), and the version this build brings. `migrate` uses them to say what it did.
 */
import { existsSync } from 'node:fs';
import { latestVersion } from './migration.js';
import { sqlitePath, type StoreConfig } from './open-store.js';

const isPostgres = (url: string) => /^postgres(ql)?:\/\//i.test(url);

export async function currentSchemaVersion(config: StoreConfig): Promise<number> {
  if (isPostgres(config.databaseUrl)) {
    const { default: pg } = await import('pg');
    const { postgresSchemaVersion } = await import('./postgres/schema.js');
    const client = new pg.Client({ connectionString: config.databaseUrl });
    await client.connect();
    try {
      return await postgresSchemaVersion(client);
    } finally {
      await client.end();
    }
  }
  const path = sqlitePath(config.databaseUrl);
  if (path === ':memory:' || !existsSync(path)) return 0;
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (!table) return 0;
    return (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  } finally {
    db.close();
  }
}

export async function knownSchemaVersion(config: StoreConfig): Promise<number> {
  if (isPostgres(config.databaseUrl)) return latestVersion((await import('./postgres/migrations.js')).POSTGRES_MIGRATIONS);
  return latestVersion((await import('./sqlite/migrations.js')).SQLITE_MIGRATIONS);
}
