/**
 * Decides once per run whether PostgreSQL takes part. In CI it is mandatory: an unreachable
 * server fails the run. On a developer machine without it, the run says plainly that the
 * PostgreSQL half of the conformance suite was skipped.
 */
import { PG_ADMIN_URL } from './backends.js';

export default async function setup() {
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
