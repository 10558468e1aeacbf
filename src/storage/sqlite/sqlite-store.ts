import type { Store } from '../../core/index.js';
import { openSqlite, type SqliteOptions } from './database.js';
import { startCheckpointer } from './checkpointer.js';
import { SqliteConnections } from './connections.js';
import { SqliteKeys } from './keys.js';
import { SqliteMembers } from './members.js';
import { ReadCache } from './read-cache.js';
import { SqliteVisits } from './visits.js';
import { SqliteWorkspaces } from './workspaces.js';

/** The embedded default: one SQLite file in WAL mode (shared by the WORKERS of one machine). */
export function openSqliteStore(opts: SqliteOptions): Store & { raw: ReturnType<typeof openSqlite> } {
  const db = openSqlite(opts);
  const checkpointer = opts.path === ':memory:' ? undefined : startCheckpointer(db, opts.path);
  const cache = new ReadCache(db, opts.readCacheBytes);
  const visits = new SqliteVisits(db, cache, opts.fold);
  return {
    kind: 'sqlite',
    raw: db,
    workspaces: new SqliteWorkspaces(db),
    members: new SqliteMembers(db, cache),
    connections: new SqliteConnections(db),
    visits,
    keys: new SqliteKeys(db),
    async close() {
      await visits.drain();
      await checkpointer?.stop();
      if (db.open) db.close();
    },
  };
}
