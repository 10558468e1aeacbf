/** A fold thread that dies holding the main file's write gate (test/visit-inbox.test.ts). */
import { workerData } from 'node:worker_threads';
import { foldThreadGate } from '../../src/storage/sqlite/write-gate.js';

foldThreadGate(workerData as SharedArrayBuffer).acquire();
process.exit(3);
