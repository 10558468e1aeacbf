/**
 * The bench only ever touches databases it created: each one carries a `bench_meta` table
 * naming its dataset key. Anything else (a real database, a file someone put in bench/data)
 * is refused before any write and before a server is started on it.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';

export const META_TABLE = 'bench_meta';
export const META_DDL = `CREATE TABLE IF NOT EXISTS ${META_TABLE} (name TEXT PRIMARY KEY, value TEXT NOT NULL)`;

export class NotABenchDatabaseError extends Error {
  override name = 'NotABenchDatabaseError';
}

export type MarkerState = { kind: 'absent' } | { kind: 'ours'; key: string; complete: boolean; meta: Record<string, string> };

/** Reads the marker of a SQLite file without writing to it; throws when the file exists and is not the bench's. */
export function readSqliteMarker(path: string): MarkerState {
  if (!existsSync(path)) return { kind: 'absent' };
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new NotABenchDatabaseError(`refusing to use ${path}: it cannot be opened as a SQLite database (${(err as Error).message})`);
  }
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(META_TABLE);
    if (!table) throw new NotABenchDatabaseError(`refusing to use ${path}: it has no ${META_TABLE} table, so it is not a database this bench created`);
    const meta = Object.fromEntries((db.prepare(`SELECT name, value FROM ${META_TABLE}`).all() as { name: string; value: string }[]).map((r) => [r.name, r.value]));
    if (!meta.dataset_key) throw new NotABenchDatabaseError(`refusing to use ${path}: its ${META_TABLE} names no dataset`);
    return { kind: 'ours', key: meta.dataset_key, complete: meta.complete === '1', meta };
  } finally {
    db.close();
  }
}

/** Throws unless the file is a complete bench dataset with this key. */
export function assertSqliteBenchDb(path: string, key: string): Record<string, string> {
  const m = readSqliteMarker(path);
  if (m.kind === 'absent') throw new NotABenchDatabaseError(`${path} does not exist`);
  if (m.key !== key) throw new NotABenchDatabaseError(`refusing to use ${path}: it holds dataset ${m.key}, not ${key}`);
  if (!m.complete) throw new NotABenchDatabaseError(`refusing to use ${path}: its dataset build did not finish`);
  return m.meta;
}
