/**
 * What the request thread and the fold thread (folder.ts, fold-worker.ts) share: the thread's
 * start-up data and the indexes of the signal words. Types and constants only, so that either
 * side can import it without loading the other.
 */

/** Index of the word bumped by `wake()`. */
export const WAKE = 0;
/** Index of the word set to ask the thread to stop. */
export const STOP = 1;
/** Int32 words in the signal buffer. */
export const SIGNAL_WORDS = 2;

export interface FoldWorkerData {
  /** Resolved path of better-sqlite3, so the thread loads the parent's copy. */
  driver: string;
  path: string;
  inboxPath: string;
  synchronous: 'FULL' | 'NORMAL';
  backstopPages: number;
  /** Visits per fold batch when caught up, and the most a batch grows to while behind (fold-worker.ts). */
  limit: number;
  maxLimit: number;
  nice: number;
  /** The main file's write gate (write-gate.ts). */
  gate: SharedArrayBuffer;
  /** `SIGNAL_WORDS` Int32 words: WAKE, STOP. */
  signals: SharedArrayBuffer;
}

/** Messages from the fold thread. */
export type FoldWorkerMessage = { error: string } | { stopped: true };
