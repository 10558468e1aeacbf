import type { EntityStore, Store, VisitDataStore } from '../core/index.js';
import { CONFIG_SPEC, type Config } from '../config.js';
import { composeStores, entityStoreOf, visitStoreOf } from './compose-stores.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';

export interface StoreOptions {
  /** Apply pending migrations while opening (default true). */
  migrate?: boolean;
}

/** Which backend a DATABASE_URL names: described as data, chosen once at start-up. */
interface Backend {
  name: string;
  matches(url: string): boolean;
  open(config: StoreConfig, opts: Required<StoreOptions>): Promise<Store>;
}

export function sqlitePath(url: string): string {
  return url.replace(/^sqlite:(\/\/)?/i, '').replace(/^file:(\/\/)?/i, '');
}

const BACKENDS: Backend[] = [
  {
    name: 'postgres',
    matches: (url) => /^postgres(ql)?:\/\//i.test(url),
    async open(config, opts) {
      const { openPostgresStore } = await import('./postgres/postgres-store.js');
      return openPostgresStore({ url: config.databaseUrl, poolSize: config.pgPoolSize, migrate: opts.migrate });
    },
  },
  {
    name: 'sqlite',
    matches: () => true,
    async open(config, opts) {
      return openSqliteStore({
        path: sqlitePath(config.databaseUrl),
        synchronous: config.sqliteSynchronous,
        migrate: opts.migrate,
        readCacheBytes: (config.readCacheMb ?? CONFIG_SPEC.readCacheMb.default) * 1024 * 1024,
      });
    },
  },
];

export type StoreConfig = Pick<Config, 'databaseUrl' | 'sqliteSynchronous' | 'pgPoolSize'> & Partial<Pick<Config, 'readCacheMb'>>;

export async function openStore(config: StoreConfig, opts: StoreOptions = {}): Promise<Store> {
  const backend = BACKENDS.find((b) => b.matches(config.databaseUrl))!;
  return backend.open(config, { migrate: opts.migrate ?? true });
}

/** The two stores (docs/architecture.md) and the one store made of them. */
export interface Stores {
  entities: EntityStore;
  visits: VisitDataStore;
  /** Both, as the core and the app use them. */
  store: Store;
}

/**
 * The entity store and the visit store. `DATABASE_URL` sets both today (one backend, one
 * database); `visitsDatabaseUrl` puts the visit store on another database (another backend,
 * possibly), composed by compose-stores.ts.
 */
export async function openStores(config: StoreConfig & { visitsDatabaseUrl?: string }, opts: StoreOptions = {}): Promise<Stores> {
  const entitySide = await openStore(config, opts);
  let store = entitySide;
  if (config.visitsDatabaseUrl && config.visitsDatabaseUrl !== config.databaseUrl) {
    try {
      store = composeStores(entitySide, await openStore({ ...config, databaseUrl: config.visitsDatabaseUrl }, opts));
    } catch (err) {
      await entitySide.close();
      throw err;
    }
  }
  return { entities: entityStoreOf(store), visits: visitStoreOf(store), store };
}

