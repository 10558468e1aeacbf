import { systemClock, type CoreDeps } from '../core/index.js';
import type { Config } from '../config.js';
import { openStore } from '../storage/open-store.js';

/** Runs a CLI action against the configured store and always closes it. */
export async function withStore<T>(config: Readonly<Config>, fn: (deps: CoreDeps) => Promise<T>, migrate = true): Promise<T> {
  const store = await openStore(config, { migrate });
  try {
    return await fn({ store, clock: systemClock });
  } finally {
    await store.close();
  }
}
