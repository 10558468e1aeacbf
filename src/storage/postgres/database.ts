import pg from 'pg';

/** int8 (bigint) columns hold epoch milliseconds, counts and credits: all well within 2^53. */
const INT8_OID = 20;

/** Per-pool type parsers (the global `pg.types` is left alone): int8 comes back as a number. */
export const PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Every statement here is an index walk whose plan does not depend on its parameters; the
 * visitor page and the recording statements touch the visits table, partitioned by month. For
 * such statements PostgreSQL keeps planning each execution anew (its custom plan, pruned to the
 * partitions the parameters reach, is estimated cheaper than the generic plan over all of them):
 * 0.8 ms of planning for a visitor page that then runs in 0.2 ms. A generic plan prunes at
 * execution instead. Set per connection rather than per statement; where the setting is
 * unknown (before PostgreSQL 12) the connection simply keeps the default.
 */
const GENERIC_PLANS = 'SET plan_cache_mode = force_generic_plan';

/** SQLSTATEs after which a whole transaction may simply be run again. */
const RETRYABLE = new Set(['40P01' /* deadlock_detected */, '40001' /* serialization_failure */]);
const MAX_ATTEMPTS = 5;

/** Thrown inside a transaction to roll it back and run it again from the start. */
export class RetryTransaction extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RetryTransaction';
  }
}

export function pgCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** The URL as it may be shown in messages and logs: without its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '';
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*):[^@]*@/, '$1@');
  }
}

/**
 * Checks the URL before anything connects: the user must be named (postgres://USER@host/db),
 * because pg would otherwise fall back to the OS user or PGUSER and fail in confusing ways.
 */
export function checkPostgresUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`DATABASE_URL is not a valid PostgreSQL URL: ${redactUrl(url)}`);
  }
  if (!u.username) {
    throw new Error(`DATABASE_URL must name the PostgreSQL user, as in postgres://postgres@127.0.0.1:5432/dbname (got ${redactUrl(url)})`);
  }
  if (u.pathname.length <= 1) {
    throw new Error(`DATABASE_URL must name the database, as in postgres://postgres@127.0.0.1:5432/dbname (got ${redactUrl(url)})`);
  }
}

/** Connects one client, turning "unknown database" and "unreachable" into a message naming the URL. */
export async function connectClient(url: string, timeoutMs = 10_000): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, types: PG_TYPES, connectionTimeoutMillis: timeoutMs, application_name: 'profile-visitors' });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    const why = pgCode(err) === '3D000' ? 'the database does not exist' : 'it could not be reached';
    throw new Error(`cannot open PostgreSQL database ${redactUrl(url)}: ${why} (${err instanceof Error ? err.message : String(err)})`);
  }
  return client;
}

export type Queryable = pg.Pool | pg.PoolClient | pg.Client;

/**
 * The pool every store shares. Transactions are run through `transaction`, which retries on
 * deadlocks and serialization failures; `close` waits for work in flight before ending the pool.
 */
export class PgDatabase {
  readonly pool: pg.Pool;
  private inFlight = 0;
  private drained: (() => void) | undefined;

  constructor(
    readonly url: string,
    poolSize: number,
  ) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: poolSize,
      types: PG_TYPES,
      application_name: 'profile-visitors',
      // Awaited before the connection serves anything. See GENERIC_PLANS.
      onConnect: async (client) => {
        await client.query(GENERIC_PLANS).catch(() => {});
      },
    });
    // An idle client losing its connection (server restart) must not crash the process; the
    // pool replaces it on the next checkout.
    this.pool.on('error', (err) => console.error(`PostgreSQL (${redactUrl(url)}): idle connection error: ${err.message}`));
  }

  async query<R extends pg.QueryResultRow = any>(text: string | pg.QueryConfig, values?: unknown[]): Promise<R[]> {
    return this.track(async () => (await this.pool.query<R>(text as string, values)).rows);
  }

  /**
   * Runs `fn` in one READ COMMITTED transaction on one connection. Deadlocks, serialization
   * failures and `RetryTransaction` roll back and run `fn` again (`beforeRetry` sees the error
   * first); anything else rolls back and is thrown.
   */
  async transaction<T>(fn: (c: pg.PoolClient) => Promise<T>, beforeRetry?: (err: unknown) => Promise<boolean>): Promise<T> {
    return this.track(async () => {
      for (let attempt = 1; ; attempt++) {
        let failure: unknown;
        const c = await this.pool.connect();
        let broken: Error | undefined;
        try {
          await c.query('BEGIN');
          const out = await fn(c);
          await c.query('COMMIT');
          return out;
        } catch (err) {
          await c.query('ROLLBACK').catch((e: Error) => (broken = e));
          failure = err;
        } finally {
          c.release(broken);
        }
        // The connection is back in the pool before `beforeRetry` runs, so it may use the pool.
        const retry =
          attempt < MAX_ATTEMPTS &&
          !broken &&
          (failure instanceof RetryTransaction ||
            RETRYABLE.has(pgCode(failure) ?? '') ||
            (beforeRetry !== undefined && (await beforeRetry(failure))));
        if (!retry) throw failure;
      }
    });
  }

  async close(): Promise<void> {
    if (this.inFlight > 0) await new Promise<void>((r) => (this.drained = r));
    await this.pool.end();
  }

  private async track<T>(fn: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await fn();
    } finally {
      if (--this.inFlight === 0 && this.drained) {
        this.drained();
        this.drained = undefined;
      }
    }
  }
}
