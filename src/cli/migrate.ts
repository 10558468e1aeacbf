import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Config } from '../config.js';
import { openStore, sqlitePath } from '../storage/open-store.js';
import { currentSchemaVersion } from '../storage/schema-version.js';

/**
 * Applies pending migrations and says what it did. A SQLite path whose folder does not exist is
 * refused (the server creates it, but an explicit `migrate` to a mistyped path should not quietly
 * make a new database somewhere unexpected).
 */
export async function migrateCommand(config: Readonly<Config>) {
  const isPostgres = /^postgres(ql)?:\/\//i.test(config.databaseUrl);
  if (!isPostgres) {
    const path = sqlitePath(config.databaseUrl);
    const folder = dirname(resolve(path));
    if (path !== ':memory:' && !(existsSync(folder) && statSync(folder).isDirectory())) {
      throw new Error(`the folder ${folder} does not exist: create it first (mkdir -p ${folder}) or check DATABASE_URL / --database-url`);
    }
  }
  // Unreadable (e.g. PostgreSQL down): opening the store below says why, naming the URL safely.
  const before = await currentSchemaVersion(config).catch(() => null);
  const store = await openStore(config, { migrate: true });
  await store.close();
  const after = await currentSchemaVersion(config);
  if (before === 0) console.log(`created schema v${after} (${store.kind})`);
  else if (before !== null && before < after) console.log(`migrated schema v${before} to v${after} (${store.kind})`);
  else console.log(`schema up to date: v${after} (${store.kind})`);
}
