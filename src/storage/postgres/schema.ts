import type pg from 'pg';
import { SchemaTooNewError, latestVersion, type Migration } from '../migration.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';

/** Session-level advisory lock that serializes migrators (several servers starting at once). */
const MIGRATION_LOCK = "hashtextextended('profile-visitors:migrations', 0)";

export async function postgresSchemaVersion(c: pg.ClientBase): Promise<number> {
  const exists = await c.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS t");
  if (!exists.rows[0]?.t) return 0;
  const { rows } = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return rows[0]?.v ?? 0;
}

/**
 * Applies each pending migration in its own transaction, under an advisory lock so that
 * concurrent migrators run one after the other (the later ones find nothing left to do).
 * Refuses a database whose schema is newer than `known` (the build's latest version).
 * Returns the versions applied.
 */
export async function migratePostgres(
  c: pg.ClientBase,
  migrations: readonly Migration[] = POSTGRES_MIGRATIONS,
  known = latestVersion(POSTGRES_MIGRATIONS),
): Promise<number[]> {
  await c.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
  try {
    await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
    const current = await postgresSchemaVersion(c);
    if (current > known) throw new SchemaTooNewError(current, known);
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      await c.query('BEGIN');
      try {
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw new Error(`PostgreSQL migration ${m.version} (${m.name}) failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await c.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`).catch(() => {});
  }
}

/** Start-up check: migrate, or (with `migrate` false) insist that the schema is exactly current. */
export async function preparePostgresSchema(c: pg.ClientBase, migrate: boolean): Promise<void> {
  const known = latestVersion(POSTGRES_MIGRATIONS);
  if (migrate) {
    await migratePostgres(c, POSTGRES_MIGRATIONS, known);
    return;
  }
  const current = await postgresSchemaVersion(c);
  if (current > known) throw new SchemaTooNewError(current, known);
  if (current < known) throw new Error(`the database schema is at version ${current}, this build needs ${known}: run "profile-visitors migrate"`);
}
