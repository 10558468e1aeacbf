/**
 * How many visits the server stored, read from its database: the batch scenario's answers can
 * take longer than autocannon waits (50 connections x 1,000 visits queue up), so the visits
 * committed during the measured run are counted at the source too, as a throughput that does not
 * depend on answers arriving in time. SQLite: the visits rowid; PostgreSQL: the id sequence (a
 * rolled-back insert also uses a value; the bench's writes do not roll back).
 */
import Database from 'better-sqlite3';
import { sqlitePath } from '../src/storage/open-store.js';

export interface VisitCounter {
  /** The highest visit id handed out so far. */
  mark(): Promise<number>;
  close(): Promise<void>;
}

export async function openVisitCounter(databaseUrl: string): Promise<VisitCounter> {
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    return {
      async mark() {
        const r = await client.query<{ v: string }>('SELECT last_value AS v FROM visits_id_seq');
        return Number(r.rows[0]!.v);
      },
      close: () => client.end(),
    };
  }
  const db = new Database(sqlitePath(databaseUrl), { readonly: true, fileMustExist: true });
  const max = db.prepare<[], { v: number | null }>('SELECT max(id) AS v FROM visits');
  return {
    async mark() {
      return max.get()!.v ?? 0;
    },
    async close() {
      db.close();
    },
  };
}
