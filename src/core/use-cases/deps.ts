import type { Clock } from '../clock.js';
import type { Store } from '../store.js';

/** What every use case is handed: the store chosen at start-up and the clock. */
export interface CoreDeps {
  store: Store;
  clock: Clock;
}
