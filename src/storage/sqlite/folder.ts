/**
 * The fold thread: folds the inbox into the main tables (fold.ts) on a connection of its own, in
 * a worker thread, so that the cost of updating the summary's B-trees is paid on another core
 * and never by the request that recorded a visit. It folds while anything is pending, batch by
 * batch, taking its turn at each file through the write gates (write-gate.ts); when the inbox is
 * empty it sleeps until `wake` (after a recording) or a second passes (other processes record
 * into the same inbox).
 *
 * A fold that fails leaves its visits pending, where every read still merges them; the thread
 * logs through its parent and tries again a little later. A thread that dies (a crash, not a
 * failed statement) is replaced a second later, and the write gate it may have held is freed:
 * otherwise recordings would stop once the backlog reached its bound.
 *
 * The thread's code is fold-worker.ts, a typed module like any other (worker-script.ts finds its
 * runnable file from dist, the bundle or the sources).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqliteSynchronous } from './database.js';
import { BACKSTOP_PAGES } from './checkpointer.js';
import { inboxPath } from './inbox-db.js';
import { SIGNAL_WORDS, STOP, WAKE, type FoldWorkerData, type FoldWorkerMessage } from './fold-protocol.js';
import { workerScript } from './worker-script.js';
import type { WriteGate } from './write-gate.js';

/**
 * Most visits per fold transaction. Larger batches share more pages but keep every page they
 * dirty in memory until they commit: measured on the bench dataset, 1,000 per batch folded
 * 4,800 visits/s with 66 MB of heap outside V8, 2,000 about 5,900/s with 87 MB, 5,000 about
 * 6,000 to 8,000/s with over 100 MB (and the process's RSS past 300 MB). A write of the main
 * file by the main thread (a member, a key) waits for the batch in progress, never blocking the
 * event loop.
 */
export const FOLD_BATCH = 1_000;
/**
 * Most visits per fold transaction while the fold is behind (it doubles from FOLD_BATCH while
 * every take comes back full). Measured on a 1,000,000-visit file with synchronous=FULL: batches
 * of 1,000 folded 3,400 visits/s, 5,000 about 8,400/s and 20,000 about 15,000/s, the process
 * peaking at 150 and 200 MB.
 */
export const FOLD_MAX_BATCH = 16_000;
/** Nice value of the fold thread (0 normal, 19 lowest). */
const FOLD_NICE = 10;
const RESTART_DELAY_MS = 1_000;

export interface Folder {
  /** Something was recorded: fold it soon. */
  wake(): void;
  /** Lets the current batch finish, then ends the thread. */
  stop(): Promise<void>;
}

export interface FolderOptions {
  path: string;
  synchronous: SqliteSynchronous;
  /** The main file's write gate (write-gate.ts). */
  gate: WriteGate;
  /** Where a failing fold is reported. */
  onError(message: string): void;
}

export function startFolder(opts: FolderOptions): Folder {
  const signals = new Int32Array(new SharedArrayBuffer(SIGNAL_WORDS * 4));
  const workerData: FoldWorkerData = {
    driver: createRequire(import.meta.url).resolve('better-sqlite3'),
    path: opts.path,
    inboxPath: inboxPath(opts.path),
    synchronous: opts.synchronous === 'full' ? 'FULL' : 'NORMAL',
    backstopPages: BACKSTOP_PAGES,
    limit: FOLD_BATCH,
    maxLimit: FOLD_MAX_BATCH,
    nice: FOLD_NICE,
    gate: opts.gate.buffer,
    signals: signals.buffer,
  };
  const script = workerScript('fold-worker', import.meta.url);
  let stopping = false;
  let worker: Worker;
  let exit: Promise<void>;
  const spawn = () => {
    // The thread's code is fold-worker.ts.
    worker = new Worker(script, { workerData });
    worker.unref();
    worker.on('message', (m: FoldWorkerMessage) => {
      if ('error' in m) opts.onError(m.error);
    });
    worker.on('error', (err) => opts.onError(err.message));
    exit = new Promise<void>((resolve) =>
      worker.once('exit', (code) => {
        opts.gate.releaseAbandoned();
        if (!stopping) {
          opts.onError(`the fold thread stopped (exit code ${code}); starting another one`);
          setTimeout(() => stopping || spawn(), RESTART_DELAY_MS).unref();
        }
        resolve();
      }),
    );
  };
  spawn();
  return {
    wake() {
      Atomics.add(signals, WAKE, 1);
      Atomics.notify(signals, WAKE);
    },
    stop() {
      stopping = true;
      // Unref'd so that an idle fold thread never keeps a process alive; while stopping, the
      // process must wait for it, or a short-lived command would exit before closing its store.
      worker.ref();
      Atomics.store(signals, STOP, 1);
      Atomics.notify(signals, STOP);
      Atomics.notify(signals, WAKE);
      return exit;
    },
  };
}
