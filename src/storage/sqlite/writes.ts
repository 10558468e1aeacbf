/**
 * The one way this process writes its SQLite files (docs/sqlite-writes.md). Every write
 * transaction of the store, of the projections and of the features that keep tables in the
 * main file (webhooks, audit, settings) goes through `SqliteWrites`, which:
 * - takes the main file's write gate when the transaction writes it (write-gate.ts);
 * - moves the change epoch of each file it writes, as the transaction's first statement, when
 *   what it changes could be in a read cache (read-cache.ts): other processes then forget
 *   what they cached, and the transaction holds the file's write lock before it reads;
 * - drops what it changed from this process's read cache once the transaction has ended,
 *   before the caller (and so the client) hears of it.
 *
 * What a write changes is said by its caller, as an `Effect`; the wide one (`everything`) is
 * always right, the narrow ones are claims that test/read-cache-write-path.test.ts checks for
 * every write route. A write that does not come through here at all is caught by the read
 * cache: it compares SQLite's count of this connection's changes (`total_changes()`) with the
 * count this class last saw, and on a difference forgets everything and counts a bypass
 * (`ReadCache.bypasses`, in /metrics), which the same test requires to stay at zero.
 */
import type { ReadCache } from './read-cache.js';
import type { SqliteDb } from './database.js';
import type { WriteGate } from './write-gate.js';

/** Entries of the read cache a write changed, in one workspace. */
export interface Changed {
  workspaceId: string;
  /** Member cards. */
  members?: Iterable<string>;
  /** Visitor pages of these profiles. */
  pages?: Iterable<string>;
  /** Connection lists of these members. */
  neighbors?: Iterable<string>;
  /** Who blocks or is blocked by these members. */
  blocks?: Iterable<string>;
  /** API keys that may have stopped being unlimited. */
  unlimitedKeys?: Iterable<string>;
}

/**
 * What readers may see change:
 * - `unseen`: nothing the read cache holds (audit, webhooks, insights, checkpoints, a fold):
 *   no epoch moves, so other processes keep their caches;
 * - `everything`: other processes and this one forget everything they cached;
 * - `Changed` (or a list of them): the epoch moves (other processes forget everything), and
 *   this process drops just those entries.
 */
export type Effect = 'unseen' | 'everything' | Changed | readonly Changed[];

/** Files a transaction writes; the inbox file is written by this thread only, so it needs no gate. */
type Files = 'main' | 'inbox' | 'both';

/**
 * An effect known before the transaction runs, or one decided from its result (for writes
 * that may change nothing: a key that is not there moves no epoch). A decided effect moves the
 * epoch at the end of the transaction, so the transaction's own first statement must be a
 * write (database.ts).
 */
export type EffectOf<T> = Effect | ((result: T) => Effect);

export class SqliteWrites {
  /** One transaction function for every write (better-sqlite3 builds a wrapper per `transaction` call). */
  private inTransaction;

  constructor(
    db: SqliteDb,
    private cache: ReadCache,
    /** Shared with the fold thread (folder.ts). */
    readonly gate: WriteGate,
  ) {
    this.inTransaction = db.transaction((files: Files, effect: EffectOf<any>, fn: () => unknown, outcome: { applied: Effect }) => {
      if (typeof effect !== 'function') this.bump(files, effect);
      const result = fn();
      if (typeof effect === 'function') {
        outcome.applied = effect(result);
        this.bump(files, outcome.applied);
      }
      return result;
    });
  }

  /** A write transaction on the main file, under the write gate. */
  main<T>(effect: EffectOf<T>, fn: () => T): Promise<T> {
    return this.gate.run(() => this.transaction('main', effect, fn));
  }

  /** A write transaction on both files (erasure, a rebuild), under the write gate. */
  both<T>(effect: EffectOf<T>, fn: () => T): Promise<T> {
    return this.gate.run(() => this.transaction('both', effect, fn));
  }

  /** A write transaction on the inbox file only (recording, its clean-up): synchronous. */
  inbox<T>(effect: EffectOf<T>, fn: () => T): T {
    return this.transaction('inbox', effect, fn);
  }

  /**
   * Work that runs write transactions of its own and changes nothing a reader sees: the fold,
   * when it runs in this thread (an in-memory database, a test), and writes to a temporary
   * table of this connection (members.ts, countByVisibility). It takes no gate: a fold in this
   * thread means there is no fold thread, and a temporary table is in no file.
   */
  unseen<T>(fn: () => T): T {
    this.cache.writeBegins();
    try {
      return fn();
    } finally {
      this.cache.writeEnded('unseen');
    }
  }

  private transaction<T>(files: Files, effect: EffectOf<T>, fn: () => T): T {
    this.cache.writeBegins();
    // If the transaction fails, a known effect is still applied (dropping entries is always
    // safe); a decided one has nothing to decide from, and nothing was committed.
    const outcome: { applied: Effect } = { applied: typeof effect === 'function' ? 'unseen' : effect };
    try {
      return this.inTransaction(files, effect, fn, outcome) as T;
    } finally {
      this.cache.writeEnded(outcome.applied);
    }
  }

  private bump(files: Files, effect: Effect): void {
    if (effect === 'unseen') return;
    if (files !== 'inbox') this.cache.bump('main');
    if (files !== 'main') this.cache.bump('inbox');
  }
}
