import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SchemaTooNewError, latestVersion, type Migration } from '../migration.js';
import { attachInbox } from './inbox-db.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import type { FoldPolicy } from './visits.js';

/**
 * Every write transaction takes its file's write lock before it reads anything: with several
 * processes on one file (WORKERS > 1), a deferred transaction that has read cannot take the
 * write lock once another process has committed (SQLITE_BUSY_SNAPSHOT, which busy_timeout does
 * not retry). `.immediate()` would lock every attached file, the inbox too, so the store's
 * transactions are deferred and start with a write to the file they change (a change epoch or
 * the write itself); migrations, at start-up, use `.immediate()`.
 */
export type SqliteDb = Database.Database;

/**
 * `normal`: in WAL mode every commit is in the OS before we answer, so it survives the process
 * being killed; a power loss or kernel crash may roll back the last commits (never corrupts).
 * `full`: also fsyncs the WAL on each commit, so commits survive power loss too; group commit
 * keeps that affordable.
 */
export type SqliteSynchronous = 'normal' | 'full';

export interface SqliteOptions {
  path: string;
  synchronous: SqliteSynchronous;
  /** Apply pending migrations on open (the server does; `migrate` does it explicitly). */
  migrate: boolean;
  /** Memory for the in-process read cache (`read-cache.ts`); 0 turns it off. */
  readCacheBytes: number;
  /** When recorded visits are folded into the summary (visits.ts); `background` by default. */
  fold?: FoldPolicy;
  /** Recording waits while more visits than this are not folded (visits.ts, MAX_PENDING by default). */
  maxPending?: number;
  /** Visits in a closed range from which it is read in viewer order (visitor-list.ts, BY_VIEWER_FROM by default). */
  byViewerFrom?: number;
}

export function openSqlite(opts: SqliteOptions): SqliteDb {
  if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
  const db = new Database(opts.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  // Small: the OS keeps the file cached, and measured on the bench dataset a 2 MB page cache read
  // as fast as a 256 MB one; hot rows live in the read cache (read-cache.ts) instead.
  db.pragma('cache_size = -16384');
  db.pragma('temp_store = MEMORY');
  // After a burst of writes has grown the WAL, the file is cut back once it is reset.
  db.pragma('journal_size_limit = 67108864');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const current = schemaVersion(db);
  const known = latestVersion(SQLITE_MIGRATIONS);
  if (current > known) {
    db.close();
    throw new SchemaTooNewError(current, known);
  }
  if (opts.migrate) migrateSqlite(db, SQLITE_MIGRATIONS);
  else if (current < known) {
    db.close();
    throw new Error(`the database schema is at version ${current}, this build needs ${known}: run "profile-visitors migrate"`);
  }
  try {
    attachInbox(db, opts.path, opts.synchronous);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export function schemaVersion(db: SqliteDb): number {
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/** Applies each pending migration in its own transaction; returns the versions applied. */
export function migrateSqlite(db: SqliteDb, migrations: readonly Migration[]): number[] {
  const applied: number[] = [];
  const current = schemaVersion(db);
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}
