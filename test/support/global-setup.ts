/**
 * Decides once per run whether PostgreSQL takes part. In CI it is mandatory: an unreachable
 * server fails the run. On a developer machine without it, the run says plainly that the
 * PostgreSQL half of the conformance suite was skipped.
 *
 * It also makes the run leave nothing behind, pass or fail: every temp folder goes under one
 * per-run folder (TMPDIR, inherited by the test workers and by the servers they spawn) and every
 * test database carries the run's name prefix (PV_TEST_RUN); the teardown removes both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PG_ADMIN_URL, runDatabasePrefix } from './backends.js';

export default async function setup() {
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const runTmp = mkdtempSync(join(tmpdir(), 'pv-run-'));
  const outerTmp = process.env.TMPDIR;
  process.env.TMPDIR = runTmp;
  process.env.PV_TEST_RUN = runId;
  const teardown = async () => {
    await dropRunDatabases(runId).catch((err: unknown) => console.warn(`could not drop this run's test databases: ${String(err)}`));
    rmSync(runTmp, { recursive: true, force: true });
    if (outerTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outerTmp;
  };
  await decideBackends();
  return teardown;
}

/** Drops every database this run created (connections left open by a failed test are ended). */
async function dropRunDatabases(runId: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch {
    return; // PostgreSQL was not reachable: this run made no database.
  }
  try {
    const prefix = runDatabasePrefix(runId).replace(/_/g, '\\_');
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function decideBackends() {
  let reachable = false;
  let reason = '';
  try {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    await client.connect();
    await client.query('SELECT 1');
    await client.end();
    reachable = true;
  } catch (err) {
    reason = err instanceof Error ? err.message : String(err);
  }
  const implemented = await import('../../src/storage/postgres/postgres-store.js').then((m) => m.POSTGRES_READY === true).catch(() => false);
  if (reachable && implemented) {
    process.env.PV_TEST_POSTGRES = '1';
    console.log(`conformance suite: SQLite and PostgreSQL (${PG_ADMIN_URL})`);
    return;
  }
  process.env.PV_TEST_POSTGRES = '0';
  if (!implemented) {
    console.log('conformance suite: SQLite only (the PostgreSQL backend is not built yet)');
    return;
  }
  if (process.env.CI) throw new Error(`PostgreSQL is required in CI but unreachable at ${PG_ADMIN_URL}: ${reason}`);
  console.warn(`\n*** PostgreSQL was SKIPPED: unreachable at ${PG_ADMIN_URL} (${reason}). Only SQLite was tested. ***\n`);
}
