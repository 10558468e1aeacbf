/**
 * The fold thread's body (started by folder.ts): folds the inbox into the main tables, batch by
 * batch, on a connection of its own. Runs in a worker thread, so it blocks freely (SQLite's busy
 * waits, the write gate, its sleeps) without ever stalling the request thread.
 */
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import { foldTaken, takeBatch } from './fold.js';
import { STOP, WAKE, type FoldWorkerData, type FoldWorkerMessage } from './fold-protocol.js';
import { foldThreadGate } from './write-gate.js';

const w = workerData as FoldWorkerData;
const port = parentPort!;
const post = (m: FoldWorkerMessage) => port.postMessage(m);
const Database = createRequire(import.meta.url)(w.driver) as typeof BetterSqlite3;
// Background work at background priority: on Linux, setpriority(PRIO_PROCESS, 0) applies to
// the calling thread only, so requests keep the CPU they need and folds use what is left.
try {
  setPriority(0, w.nice);
} catch {
  /* not permitted here: fold at normal priority */
}
const db = new Database(w.path);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = ' + w.synchronous);
db.pragma('cache_size = -16384');
// Checkpoints are the checkpoint thread's (checkpointer.ts): one inside a commit here would
// hold the inbox gate, which recordings wait for, through an fsync. This is the backstop.
db.pragma('wal_autocheckpoint = ' + w.backstopPages);
// Temporary files, not memory: since SQLite 3.54 a multi-row INSERT that names the rowid keeps a
// statement journal even under OR FAIL (the rowid's integer check may abort it), and the fold's
// insert of raw visits by seq is one. With temp_store = MEMORY that journal, a copy of every
// page the insert changes (about 60 MB for a batch of 16,000 visits on the full bench file),
// stayed in the process (about 170 MB more peak RSS); on files it spills past 64 KB into a
// deleted temporary file, i.e. the OS's page cache, and the batch took as long
// (docs/benchmarks.md, writes item 10).
db.pragma('temp_store = FILE');
db.prepare('ATTACH DATABASE ? AS inbox').run(w.inboxPath);
db.pragma('inbox.busy_timeout = 5000');
db.pragma('inbox.synchronous = ' + w.synchronous);
// The batch grows while the fold is behind (each take came back full) and falls back once it
// has caught up: a commit's cost is mostly the pages it dirties, and a larger batch shares more
// of them, so a backlog folds several times faster per visit (docs/visit-log.md, "Fold batches"),
// while a caught-up fold keeps small batches and little memory.
let limit = w.limit;
const mainGate = foldThreadGate(w.gate);
const signals = new Int32Array(w.signals);
const sleep = (ms: number) => Atomics.wait(signals, STOP, 0, ms);
for (;;) {
  if (Atomics.load(signals, STOP)) break;
  const wakes = Atomics.load(signals, WAKE);
  let taken = 0;
  try {
    // The copy out of the log writes only temp tables: it needs no write gate (fold.ts).
    taken = takeBatch(db, limit);
    if (taken > 0) {
      mainGate.acquire();
      let folded: boolean;
      try {
        folded = foldTaken(db);
      } finally {
        mainGate.release();
      }
      // Rolled back (an erase took some of its entries out of the log): take it again at once.
      if (!folded) continue;
    }
    limit = taken >= limit ? Math.min(limit * 2, w.maxLimit) : w.limit;
  } catch (err) {
    post({ error: String((err as Error | undefined)?.message || err) });
    sleep(1000);
    continue;
  }
  if (taken === 0) Atomics.wait(signals, WAKE, wakes, 1000);
}
db.close();
post({ stopped: true });
