import type { Config } from '../config.js';
import { openStore } from '../storage/open-store.js';

export async function migrateCommand(config: Readonly<Config>) {
  const store = await openStore(config, { migrate: true });
  await store.close();
  console.log(`schema up to date (${store.kind})`);
}
