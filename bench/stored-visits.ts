/**
 * How many visits the server stored, read from its database: the batch scenario's answers can
 * take longer than autocannon waits (50 connections x 1,000 visits queue up), so the visits
 * committed during the measured run are counted at the source too, as a throughput that does not
 * depend on answers arriving in time. SQLite: the inbox's sequence (every acknowledged visit
 * takes the next one) and, apart, the fold watermark (visits folded into the summary since);
 * PostgreSQL: the id sequence (a rolled-back insert also uses a value; the bench's writes do not
 * roll back), where storing and folding are one step.
 */
import Database from 'better-sqlite3';
import { sqlitePath } from '../src/storage/open-store.js';
import { inboxPath } from '../src/storage/sqlite/inbox-db.js';

export interface VisitMark {
  /** The highest visit id handed out so far. */
  stored: number;
  /** The highest visit id folded into the summary so far. */
  folded: number;
}

export interface VisitCounter {
  mark(): Promise<VisitMark>;
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
        const v = Number(r.rows[0]!.v);
        return { stored: v, folded: v };
      },
      close: () => client.end(),
    };
  }
  const path = sqlitePath(databaseUrl);
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.prepare('ATTACH DATABASE ? AS inbox').run(inboxPath(path));
  const marks = db.prepare<[], VisitMark>(
    'SELECT (SELECT last_seq FROM inbox.inbox_state) AS stored, (SELECT folded_through FROM main.fold_state) AS folded',
  );
  return {
    async mark() {
      return marks.get()!;
    },
    async close() {
      db.close();
    },
  };
}
