/**
 * Bulk loading into SQLite: the schema comes from the project's own store (openStore with
 * migrations), then members, connections and visits go in through multi-row prepared
 * statements in big transactions, in primary-key order, with secondary indexes dropped during
 * the load and rebuilt after, and `synchronous = OFF` / no journal for the load only.
 * `visitor_summary` is then built from the raw visits with one INSERT ... SELECT ... GROUP BY
 * per slice of owners (the slices only drive the progress bar).
 */
import Database from 'better-sqlite3';
import { renameSync, rmSync } from 'node:fs';
import { createApiKey, ensureWorkspace, systemClock } from '../src/core/index.js';
import { openStore } from '../src/storage/open-store.js';
import { inboxPath } from '../src/storage/sqlite/inbox-db.js';
import { META_DDL, META_TABLE } from './marker.js';
import { phase } from './progress.js';
import { DERIVED_TABLES, checkDataset } from './derived.js';
import { WORKSPACE_ID, OwnerLaw, memberId, type DatasetShape } from './dataset-shape.js';
import { SOURCES, VisitGenerator, buildGraph, generateMembers, visitCounts } from './dataset-generate.js';

export interface DatasetStats {
  members: number;
  connectionRows: number;
  visits: number;
  summaryRows: number;
  celebrityVisits: number;
  celebrityViewers: number;
  buildSeconds: number;
}

/** A multi-row INSERT: rows are buffered and written `rowsPerStatement` at a time. */
class BulkInsert {
  private big: Database.Statement;
  private one: Database.Statement;
  private buf: unknown[] = [];
  private width: number;
  rows = 0;

  constructor(
    private db: Database.Database,
    table: string,
    columns: string[],
    private rowsPerStatement = 200,
  ) {
    this.width = columns.length;
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const head = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `;
    this.big = db.prepare(head + Array(rowsPerStatement).fill(tuple).join(', '));
    this.one = db.prepare(head + tuple);
  }

  push(...values: unknown[]) {
    for (const v of values) this.buf.push(v);
    this.rows++;
    if (this.buf.length === this.width * this.rowsPerStatement) {
      this.big.run(this.buf);
      this.buf.length = 0;
      if (this.rows % 500_000 === 0) {
        this.db.exec('COMMIT');
        this.db.exec('BEGIN');
      }
    }
  }

  flush() {
    for (let i = 0; i < this.buf.length; i += this.width) this.one.run(this.buf.slice(i, i + this.width));
    this.buf.length = 0;
  }
}

const LOADED_TABLES = ['members', 'connections', 'visits', 'visitor_summary'];

export async function buildSqliteDataset(path: string, key: string, shape: DatasetShape, schemaVersion: number): Promise<DatasetStats> {
  const started = Date.now();
  const tmp = `${path}.building`;
  // The store opened on the file during the build keeps an (empty) inbox beside it, named after it.
  const removeInbox = () => {
    for (const f of ['', '-wal', '-shm']) rmSync(inboxPath(tmp) + f, { force: true });
  };
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, `${tmp}-journal`]) rmSync(f, { force: true });
  removeInbox();

  // The marker goes in first, so even a half-built file is recognisably ours.
  const mark = new Database(tmp);
  mark.exec(META_DDL);
  const setMeta = (db: Database.Database, name: string, value: string) =>
    db.prepare(`INSERT INTO ${META_TABLE} (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`).run(name, value);
  setMeta(mark, 'dataset_key', key);
  setMeta(mark, 'complete', '0');
  mark.close();

  // Schema, workspace and key through the project's own store and core.
  const store = await openStore({ databaseUrl: tmp, sqliteSynchronous: 'normal', pgPoolSize: 1 }, { migrate: true });
  const deps = { store, clock: systemClock };
  const workspace = await ensureWorkspace(deps, WORKSPACE_ID, 'Benchmark');
  const admin = await createApiKey(deps, workspace, { role: 'admin', name: 'bench admin' });
  await store.close();

  const now = Date.now();
  const db = new Database(tmp);
  // Out of WAL for the load: a rollback journal in memory (OFF is refused by this build); the
  // file is a temporary one that a crash leaves unmarked-complete, so it is rebuilt anyway.
  db.pragma('journal_mode = DELETE');
  db.pragma('journal_mode = MEMORY');
  db.pragma('synchronous = OFF');
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('cache_size = -2000000');
  db.pragma('temp_store = MEMORY');

  const indexes = db
    .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${LOADED_TABLES.map(() => '?').join(', ')})`)
    .all(...LOADED_TABLES) as { name: string; sql: string }[];
  for (const ix of indexes) db.exec(`DROP INDEX ${ix.name}`);
  const rebuild = (tables: string[]) => {
    const todo = indexes.filter((ix) => tables.some((t) => new RegExp(`\\bON\\s+${t}\\b`, 'i').test(ix.sql)));
    const p = phase(`indexes ${tables.join(',')}`, todo.length);
    for (const ix of todo) {
      db.exec(ix.sql);
      p.tick();
    }
    p.done();
  };

  db.exec('BEGIN');
  const members = new BulkInsert(db, 'members', [
    'workspace_id', 'id', 'name', 'headline', 'image_url', 'company', 'industry', 'location', 'public_identifier', 'profile_url', 'plan', 'visibility', 'created_at', 'updated_at',
  ], 100);
  let p = phase('members', shape.members);
  for (const m of generateMembers(shape)) {
    members.push(WORKSPACE_ID, m.id, m.name, m.headline, m.imageUrl, m.company, m.industry, m.location, m.publicIdentifier, m.profileUrl, m.plan, m.visibility, now, now);
    p.tick();
  }
  members.flush();
  p.done();

  const graph = buildGraph(shape);
  const conns = new BulkInsert(db, 'connections', ['workspace_id', 'member_id', 'other_id', 'created_at'], 250);
  p = phase('connections', graph.rows);
  const ids = Array.from({ length: shape.members }, (_, i) => memberId(i));
  for (let i = 0; i < shape.members; i++) {
    const a = ids[i]!;
    for (let k = graph.offsets[i]!; k < graph.offsets[i + 1]!; k++) conns.push(WORKSPACE_ID, a, ids[graph.adj[k]!]!, now);
    p.tick(graph.offsets[i + 1]! - graph.offsets[i]!);
  }
  conns.flush();
  p.done();

  const law = new OwnerLaw(shape);
  const counts = visitCounts(shape, law);
  const gen = new VisitGenerator(shape, now);
  const visits = new BulkInsert(db, 'visits', ['workspace_id', 'profile_id', 'viewer_id', 'viewed_at', 'source'], 200);
  p = phase('visits', shape.visits);
  let celebrityVisits = 0;
  for (let owner = 0; owner < shape.members; owner++) {
    const c = counts[owner]!;
    if (c === 0) continue;
    const v = gen.forOwner(owner, c);
    const o = ids[owner]!;
    for (let k = 0; k < v.length; k++) visits.push(WORKSPACE_ID, o, ids[v.viewer[k]!]!, v.viewedAt[k]!, SOURCES[v.source[k]!]!);
    if (owner === 0) celebrityVisits = v.length;
    p.tick(c);
  }
  visits.flush();
  p.done();
  db.exec('COMMIT');

  rebuild(['members', 'connections', 'visits']);

  // last_source is the source of the latest visit: pack (viewed_at, source code) into one
  // integer so a single max() carries both.
  const code = `CASE source ${SOURCES.map((s, i) => `WHEN '${s}' THEN ${i}`).join(' ')} ELSE ${SOURCES.indexOf('other')} END`;
  const decode = `CASE m & 15 ${SOURCES.map((s, i) => `WHEN ${i} THEN '${s}'`).join(' ')} END`;
  const summarize = db.prepare(`
    INSERT INTO visitor_summary (workspace_id, profile_id, viewer_id, view_count, first_viewed_at, last_viewed_at, last_source)
    SELECT workspace_id, profile_id, viewer_id, n, first, m >> 4, ${decode}
    FROM (
      SELECT workspace_id, profile_id, viewer_id, count(*) AS n, min(viewed_at) AS first, max(viewed_at * 16 + ${code}) AS m
      FROM visits WHERE workspace_id = ? AND profile_id >= ? AND profile_id < ?
      GROUP BY workspace_id, profile_id, viewer_id
    )`);
  const slice = Math.max(1, Math.ceil(shape.members / 200));
  p = phase('visitor_summary', shape.members);
  db.exec('BEGIN');
  for (let lo = 0; lo < shape.members; lo += slice) {
    const hi = lo + slice;
    summarize.run(WORKSPACE_ID, memberId(lo), hi >= shape.members ? 'n' : memberId(hi));
    p.tick(Math.min(slice, shape.members - lo));
  }
  db.exec('COMMIT');
  p.done();
  rebuild(['visitor_summary']);
  for (const d of DERIVED_TABLES) {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(d.table)) continue;
    const q = phase(d.table, 1);
    db.exec(`DELETE FROM ${d.table}`);
    db.exec(d.fill);
    q.done();
  }

  const one = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
  const stats: DatasetStats = {
    members: one('SELECT count(*) AS n FROM members'),
    connectionRows: one('SELECT count(*) AS n FROM connections'),
    visits: one('SELECT count(*) AS n FROM visits'),
    summaryRows: one('SELECT count(*) AS n FROM visitor_summary'),
    celebrityVisits,
    celebrityViewers: one('SELECT count(*) AS n FROM visitor_summary WHERE workspace_id = ? AND profile_id = ?', WORKSPACE_ID, memberId(0)),
    buildSeconds: 0,
  };
  stats.buildSeconds = Math.round((Date.now() - started) / 100) / 10;
  setMeta(db, 'admin_secret', admin.secret);
  setMeta(db, 'generated_at', String(now));
  setMeta(db, 'schema_version', String(schemaVersion));
  setMeta(db, 'stats', JSON.stringify(stats));
  setMeta(db, 'complete', '1');
  db.pragma('locking_mode = NORMAL');
  db.pragma('journal_mode = WAL');
  db.close();
  await checkDataset(tmp, async (since) => {
    const c = new Database(tmp, { readonly: true });
    try {
      return (c.prepare('SELECT count(*) AS n FROM visitor_summary WHERE workspace_id = ? AND profile_id = ? AND last_viewed_at >= ?').get(WORKSPACE_ID, memberId(0), since) as { n: number }).n;
    } finally {
      c.close();
    }
  });
  renameSync(tmp, path);
  removeInbox();
  return stats;
}
