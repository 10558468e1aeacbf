/**
 * WAL checkpoints off the request path. By default SQLite checkpoints inside the commit that
 * pushes the WAL past 1,000 pages: that commit copies every page back into the database file
 * and fsyncs it before its callers are answered. Measured on the full bench dataset, that was
 * half the cost of recording a visit. Here a worker thread with its own connection runs a
 * PASSIVE checkpoint every few hundred milliseconds instead; it never blocks writers or readers,
 * and durability is unchanged (a commit is durable once in the WAL, checkpointed or not).
 *
 * The writer keeps a high automatic threshold as a backstop, so the WAL stays bounded even if
 * the worker falls behind or dies.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqliteDb } from './database.js';
import type { CheckpointWorkerData } from './checkpoint-worker.js';
import { inboxPath } from './inbox-db.js';
import { workerScript } from './worker-script.js';

/** Pages after which a commit checkpoints by itself anyway (about 256 MB of WAL). */
export const BACKSTOP_PAGES = 65_536;
export const CHECKPOINT_EVERY_MS = 250;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(db: SqliteDb, path: string): Checkpointer {
  // Per connection, for every attached file: the inbox's WAL is checkpointed by the thread too.
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const workerData: CheckpointWorkerData = { driver, path, inboxPath: inboxPath(path), everyMs: CHECKPOINT_EVERY_MS };
  // The thread's code is checkpoint-worker.ts.
  const worker = new Worker(workerScript('checkpoint-worker', import.meta.url), { workerData });
  // A failing checkpointer must not take the server down: the backstop takes over.
  worker.on('error', () => {
    if (db.open) db.pragma('wal_autocheckpoint = 1000');
  });
  worker.unref();
  let exited = false;
  worker.once('exit', () => (exited = true));
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      if (exited) return Promise.resolve();
      return (stopped ??= new Promise<void>((resolve) => {
        const done = () => resolve();
        worker.once('exit', done);
        worker.once('message', () => void worker.terminate().then(done, done));
        worker.postMessage('stop');
      }));
    },
  };
}
