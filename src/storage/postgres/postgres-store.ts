import type { Store } from '../../core/index.js';
import { PgDatabase, checkPostgresUrl, connectClient } from './database.js';
import { PgAudit } from './audit.js';
import { PgRetention } from './retention.js';
import { PgBlocks } from './blocks.js';
import { PgConnections } from './connections.js';
import { PgDirectory } from './directory.js';
import { PgInsights } from './insights.js';
import { PgInsightsProjection } from './insights-projection.js';
import { PgKeys } from './keys.js';
import { PgMembers } from './members.js';
import { PgMemberChanges } from './member-changes.js';
import { VisitPartitions, monthPartition } from './partitions.js';
import { preparePostgresSchema } from './schema.js';
import { PgSummaryProjection } from './summary-projection.js';
import { PgVisitLog } from './visit-log.js';
import { PgVisits } from './visits.js';
import { PgWorkspaces } from './workspaces.js';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  migrate: boolean;
}

/** Set to true once this backend implements every store interface; the test suite reads it. */
export const POSTGRES_READY: boolean = true;

export type PostgresStore = Store & {
  readonly db: PgDatabase;
  readonly partitions: VisitPartitions;
};

/**
 * For several API processes sharing one database. Start-up connects once (an unknown or
 * unreachable database stops here, with the URL named without its password), migrates or
 * checks the schema version, then opens the pool the stores share.
 */
export async function openPostgresStore(opts: PostgresOptions): Promise<PostgresStore> {
  checkPostgresUrl(opts.url);
  const client = await connectClient(opts.url);
  try {
    await preparePostgresSchema(client, opts.migrate);
  } finally {
    await client.end().catch(() => {});
  }
  const db = new PgDatabase(opts.url, opts.poolSize);
  const partitions = new VisitPartitions(db);
  if (opts.migrate) {
    // Have this month's and next month's partitions ready, so that the first visits of a
    // month do not wait for one to be created.
    const now = Date.now();
    await partitions.ensureFor([now, monthPartition(now).to]);
  }
  return {
    kind: 'postgres',
    db,
    partitions,
    workspaces: new PgWorkspaces(db),
    members: new PgMembers(db),
    memberChanges: new PgMemberChanges(db),
    connections: new PgConnections(db),
    visits: new PgVisits(db, partitions),
    keys: new PgKeys(db),
    blocks: new PgBlocks(db),
    audit: new PgAudit(db),
    retention: new PgRetention(db, partitions),
    directory: new PgDirectory(db),
    insights: new PgInsights(db),
    visitLog: new PgVisitLog(db),
    projections: [new PgSummaryProjection(db), new PgInsightsProjection(db)],
    stats: () => ({
      pg_pool_connections: { value: db.pool.totalCount, help: 'connections open in this process pool' },
      pg_pool_idle: { value: db.pool.idleCount, help: 'idle connections in this process pool' },
      pg_pool_waiting: { value: db.pool.waitingCount, help: 'queries waiting for a connection of this process pool' },
    }),
    close: () => db.close(),
  };
}
