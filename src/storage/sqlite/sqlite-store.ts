import type { Store } from '../../core/index.js';
import { openSqlite, type SqliteOptions } from './database.js';
import { startCheckpointer } from './checkpointer.js';
import { SqliteAudit } from './audit.js';
import { SqliteRetention } from './retention.js';
import { SqliteBlocks } from './blocks.js';
import { SqliteConnections } from './connections.js';
import { SqliteDirectory } from './directory.js';
import { startFolder } from './folder.js';
import { SqliteInsights } from './insights.js';
import { SqliteInsightsProjection } from './insights-projection.js';
import { SqliteKeys } from './keys.js';
import { SqliteMembers } from './members.js';
import { SqliteMemberChanges } from './member-changes.js';
import { ReadCache } from './read-cache.js';
import { SqliteSummaryProjection } from './summary-projection.js';
import { SqliteVisitLog } from './visit-log.js';
import { SqliteVisits, type FoldPolicy } from './visits.js';
import { SqliteWorkspaces } from './workspaces.js';
import { WriteGate } from './write-gate.js';
import { SqliteWrites } from './writes.js';

export type SqliteStore = Store & {
  raw: ReturnType<typeof openSqlite>;
  visits: SqliteVisits;
  beginRequest(): void;
  /**
   * The one way to write this store's files (writes.ts): features keeping tables in the main
   * file (webhooks) write through it too. Writes that go around it are counted in `bypasses`.
   */
  writes: SqliteWrites;
  /** Writes of this process's connection noticed outside `writes` (should stay 0). */
  bypasses(): number;
};

/**
 * The embedded default: one SQLite file in WAL mode with its inbox file beside it (shared by
 * the WORKERS of one machine). Two threads besides this one: WAL checkpoints and the fold.
 */
export function openSqliteStore(opts: SqliteOptions): SqliteStore {
  const db = openSqlite(opts);
  const inMemory = opts.path === ':memory:';
  const checkpointer = inMemory ? undefined : startCheckpointer(db, opts.path);
  const gate = new WriteGate();
  // A second connection cannot open an in-memory database, so the fold stays in this thread.
  const policy: FoldPolicy = opts.fold ?? (inMemory ? 'inline' : 'background');
  const folder =
    policy === 'background'
      ? startFolder({
          path: opts.path,
          synchronous: opts.synchronous,
          gate,
          onError: (message) => process.emitWarning(`folding recorded visits failed, they stay pending and readable: ${message}`),
        })
      : undefined;
  const cache = new ReadCache(db, opts.readCacheBytes);
  const writes = new SqliteWrites(db, cache, gate);
  const visits = new SqliteVisits(db, cache, writes, { policy, wake: () => folder?.wake(), maxPending: opts.maxPending }, opts.byViewerFrom);
  const memberChanges = new SqliteMemberChanges(db, writes);
  return {
    kind: 'sqlite',
    raw: db,
    workspaces: new SqliteWorkspaces(db, writes),
    members: new SqliteMembers(db, cache, writes, memberChanges),
    memberChanges,
    connections: new SqliteConnections(db, cache, writes),
    visits,
    keys: new SqliteKeys(db, cache, writes),
    blocks: new SqliteBlocks(db, cache, writes),
    audit: new SqliteAudit(db, writes),
    retention: new SqliteRetention(db, writes),
    directory: new SqliteDirectory(db),
    insights: new SqliteInsights(db),
    visitLog: new SqliteVisitLog(db),
    projections: [new SqliteSummaryProjection(db, writes), new SqliteInsightsProjection(db, writes)],
    writes,
    bypasses: () => cache.bypasses,
    beginRequest: () => cache.beginRequest(),
    stats: () => {
      const usage = cache.usage;
      return {
        sqlite_read_cache_bytes: { value: usage.bytes, help: 'bytes held by the read cache of this process' },
        sqlite_read_cache_entries: { value: usage.entries, help: 'entries held by the read cache of this process' },
        sqlite_writes_outside_write_api: { value: cache.bypasses, help: 'writes of this process noticed outside the SQLite write API (each empties the read cache); a bug if not 0' },
      };
    },
    async close() {
      await visits.drain();
      await folder?.stop();
      await checkpointer?.stop();
      if (db.open) db.close();
    },
  };
}
