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
import { inboxPath } from './inbox-db.js';

/** Pages after which a commit checkpoints by itself anyway (about 256 MB of WAL). */
export const BACKSTOP_PAGES = 65_536;
export const CHECKPOINT_EVERY_MS = 250;

// An eval'd CommonJS body rather than a module file: it must load the same way from `dist`,
// under tsx and under Vitest's module runner, none of which agree on a worker's file URL.
const WORKER_BODY = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
db.prepare('ATTACH DATABASE ? AS inbox').run(workerData.inboxPath);
const timer = setInterval(() => {
  for (const schema of ['main', 'inbox']) {
    try { db.pragma(schema + '.wal_checkpoint(PASSIVE)'); } catch { /* busy or closing: next round */ }
  }
}, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.postMessage('stopped');
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(db: SqliteDb, path: string): Checkpointer {
  // Per connection, for every attached file: the inbox's WAL is checkpointed by the thread too.
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_BODY, { eval: true, workerData: { driver, path, inboxPath: inboxPath(path), everyMs: CHECKPOINT_EVERY_MS } });
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
