import type { Store } from '../core/index.js';
import type { Config } from '../config.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';

export interface StoreOptions {
  /** Apply pending migrations while opening (default true). */
  migrate?: boolean;
}

/** Which backend a DATABASE_URL names: described as data, chosen once at start-up. */
interface Backend {
  name: string;
  matches(url: string): boolean;
  open(config: Config, opts: Required<StoreOptions>): Promise<Store>;
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
      return openSqliteStore({ path: sqlitePath(config.databaseUrl), synchronous: config.sqliteSynchronous, migrate: opts.migrate });
    },
  },
];

export async function openStore(config: Pick<Config, 'databaseUrl' | 'sqliteSynchronous' | 'pgPoolSize'>, opts: StoreOptions = {}): Promise<Store> {
  const backend = BACKENDS.find((b) => b.matches(config.databaseUrl))!;
  return backend.open(config as Config, { migrate: opts.migrate ?? true });
}
