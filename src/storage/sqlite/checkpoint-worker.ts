/**
 * The checkpoint thread's body (started by checkpointer.ts): a PASSIVE checkpoint of both files
 * every `everyMs`, on a connection of its own, until told 'stop'; it answers 'stopped' once its
 * connection is closed. checkpointer.ts imports only the type below (erased at compile time).
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

export interface CheckpointWorkerData {
  /** Resolved path of better-sqlite3, so the thread loads the parent's copy. */
  driver: string;
  path: string;
  inboxPath: string;
  everyMs: number;
}

const w = workerData as CheckpointWorkerData;
const port = parentPort!;
const Database = createRequire(import.meta.url)(w.driver) as typeof BetterSqlite3;
const db = new Database(w.path);
db.pragma('busy_timeout = 5000');
db.prepare('ATTACH DATABASE ? AS inbox').run(w.inboxPath);
const timer = setInterval(() => {
  for (const schema of ['main', 'inbox']) {
    try {
      db.pragma(schema + '.wal_checkpoint(PASSIVE)');
    } catch {
      /* busy or closing: next round */
    }
  }
}, w.everyMs);
port.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  port.postMessage('stopped');
  port.close();
});
