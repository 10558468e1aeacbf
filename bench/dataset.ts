/**
 * Builds or reuses the dataset for (store, scale, seed, schema version), and hands out the
 * database a run may use: for SQLite a fresh working copy of the pristine file, so the write
 * scenarios never drift the dataset from one run to the next.
 */
import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { latestVersion } from '../src/storage/migration.js';
import { SQLITE_MIGRATIONS } from '../src/storage/sqlite/migrations.js';
import { inboxPath } from '../src/storage/sqlite/inbox-db.js';
import type { BenchArgs } from './args.js';
import { WORKSPACE_ID, datasetKey, datasetShape, type DatasetShape } from './dataset-shape.js';
import { buildSqliteDataset, type DatasetStats } from './dataset-sqlite.js';
import { assertSqliteBenchDb, readSqliteMarker } from './marker.js';
import { BENCH_ROOT } from './paths.js';

export interface Dataset {
  key: string;
  shape: DatasetShape;
  adminSecret: string;
  generatedAt: number;
  stats: DatasetStats;
  reused: boolean;
  /** Member indexes that may not read their viewers (free plan, private mode): requests avoid them. */
  blockedOwners: Set<number>;
  /** Member indexes on the premium plan (insights over 365 days are theirs). */
  premiumOwners: Set<number>;
  /** A DATABASE_URL for one server run; SQLite gets a fresh copy of the dataset each time. */
  databaseUrlForRun(): Promise<string>;
  cleanup(): void | Promise<void>;
}

export const DATA_DIR = join(BENCH_ROOT, 'data');

export async function ensureDataset(args: BenchArgs): Promise<Dataset> {
  if (args.store === 'postgres') {
    const { ensurePostgresDataset } = await import('./dataset-postgres.js');
    return ensurePostgresDataset(args);
  }
  const shape = datasetShape(args.scale, args.seed);
  const key = datasetKey(shape, 'sqlite', latestVersion(SQLITE_MIGRATIONS));
  mkdirSync(DATA_DIR, { recursive: true });
  const path = join(DATA_DIR, `${key}.db`);
  const marker = readSqliteMarker(path); // throws on a file that is not ours
  let reused = false;
  if (marker.kind === 'ours' && marker.key === key && marker.complete && !args.rebuild) {
    reused = true;
    console.log(`dataset ${key}: reusing ${path}`);
  } else {
    if (marker.kind === 'ours') {
      console.log(`dataset ${key}: ${marker.complete ? 'rebuilding' : 'previous build unfinished, rebuilding'}`);
      for (const base of [path, inboxPath(path)]) for (const f of [base, `${base}-wal`, `${base}-shm`]) rmSync(f, { force: true });
    }
    console.log(`dataset ${key}: building ${shape.members.toLocaleString('en-US')} members, ~${(shape.members * shape.connectionsPerMember).toLocaleString('en-US')} connection rows, ${shape.visits.toLocaleString('en-US')} visits`);
    const stats = await buildSqliteDataset(path, key, shape, latestVersion(SQLITE_MIGRATIONS));
    console.log(`dataset ${key}: built in ${stats.buildSeconds} s`);
  }
  const meta = assertSqliteBenchDb(path, key);
  const db = new Database(path, { readonly: true });
  const blocked = new Set(
    (db.prepare("SELECT id FROM members WHERE workspace_id = ? AND plan = 'free' AND visibility = 'private'").all(WORKSPACE_ID) as { id: string }[]).map((r) =>
      Number(r.id.slice(1)),
    ),
  );
  const premium = new Set(
    (db.prepare("SELECT id FROM members WHERE workspace_id = ? AND plan = 'premium'").all(WORKSPACE_ID) as { id: string }[]).map((r) => Number(r.id.slice(1))),
  );
  db.close();
  const runPath = join(DATA_DIR, `${key}.run.db`);
  const removeRun = () => {
    // The working copy, its WAL, and its inbox (a file of its own, with its own WAL).
    for (const base of [runPath, inboxPath(runPath)]) for (const f of [base, `${base}-wal`, `${base}-shm`]) rmSync(f, { force: true });
  };
  return {
    key,
    shape,
    adminSecret: meta.admin_secret!,
    generatedAt: Number(meta.generated_at),
    stats: JSON.parse(meta.stats!) as DatasetStats,
    reused,
    blockedOwners: blocked,
    premiumOwners: premium,
    async databaseUrlForRun() {
      removeRun();
      copyFileSync(path, runPath);
      assertSqliteBenchDb(runPath, key);
      return runPath;
    },
    cleanup: removeRun,
  };
}
