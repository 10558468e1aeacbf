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
  /** Visit log entries not through every projection yet, and the age in seconds of the oldest (docs/visit-log.md). */
  lagEntries: number;
  lagSeconds: number;
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
        // The summary is written with the log (no lag); runner-driven projections keep checkpoints.
        const lag = await client.query<{ entries: string | null; oldest: string | null }>(
          `SELECT sum(h.position - coalesce(c.position, 0)) AS entries, min(l.recorded_at) AS oldest
             FROM projection_checkpoints c JOIN visit_log_heads h USING (workspace_id)
             LEFT JOIN visit_log l ON l.workspace_id = c.workspace_id AND l.position = c.position + 1
            WHERE c.position < h.position`,
        );
        const oldest = lag.rows[0]?.oldest ? Number(lag.rows[0].oldest) : null;
        return { stored: v, folded: v, lagEntries: Number(lag.rows[0]?.entries ?? 0), lagSeconds: oldest === null ? 0 : (Date.now() - oldest) / 1000 };
      },
      close: () => client.end(),
    };
  }
  const path = sqlitePath(databaseUrl);
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.prepare('ATTACH DATABASE ? AS inbox').run(inboxPath(path));
  const marks = db.prepare<[], { stored: number; folded: number; lagEntries: number; oldest: number | null }>(
    `SELECT (SELECT last_seq FROM inbox.inbox_state) AS stored, (SELECT folded_through FROM main.fold_state) AS folded,
      (SELECT count(*) FROM inbox.visit_log WHERE position > (SELECT folded_through FROM main.fold_state)) AS lagEntries,
      (SELECT recorded_at FROM inbox.visit_log WHERE position > (SELECT folded_through FROM main.fold_state) ORDER BY position LIMIT 1) AS oldest`,
  );
  return {
    async mark() {
      const m = marks.get()!;
      return { stored: m.stored, folded: m.folded, lagEntries: m.lagEntries, lagSeconds: m.oldest === null ? 0 : (Date.now() - m.oldest) / 1000 };
    },
    async close() {
      db.close();
    },
  };
}
