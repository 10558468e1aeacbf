/**
 * Whose turn it is to write the main database file: this process's request thread or its fold
 * thread (folder.ts). SQLite lets one writer at a time into a file and makes the others wait by
 * sleeping in the calling thread; for the request thread that would stall every request for as
 * long as a fold batch holds the lock. So the two threads first take turns through a lock word
 * in shared memory: the fold thread waits in its own thread, the request thread waits with
 * `Atomics.waitAsync` and never blocks, and the fold thread does not start a batch while the
 * request thread is waiting. Other processes sharing the file still meet at SQLite's own lock.
 * (The inbox needs no gate: only the request thread writes it.)
 *
 * The fold thread's side is `foldThreadGate`, used by fold-worker.ts.
 */

/** Int32 words of the gate: the lock, and how many request-thread writers are waiting. */
const WORDS = 2;
const LOCK = 0;
const MAIN_WAITING = 1;
const FREE = 0;
/** Who holds it: a fold thread that dies holding the gate must not hold it forever. */
const HELD_BY_MAIN = 1;
const HELD_BY_FOLD = 2;

/** In Node since 16; not in the ES2022 library types this project compiles against. */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

export class WriteGate {
  /** Shared with the fold thread. */
  readonly buffer = new SharedArrayBuffer(WORDS * 4);
  private words = new Int32Array(this.buffer);

  /** Runs `fn`, a synchronous write transaction on the main file, once this thread holds the gate. */
  async run<T>(fn: () => T): Promise<T> {
    await this.acquire();
    try {
      return fn();
    } finally {
      Atomics.store(this.words, LOCK, FREE);
      Atomics.notify(this.words, LOCK);
    }
  }

  /** After the fold thread ended: if it held the gate, nobody does any more. */
  releaseAbandoned(): void {
    if (Atomics.compareExchange(this.words, LOCK, HELD_BY_FOLD, FREE) === HELD_BY_FOLD) Atomics.notify(this.words, LOCK);
  }

  private async acquire(): Promise<void> {
    if (Atomics.compareExchange(this.words, LOCK, FREE, HELD_BY_MAIN) === FREE) return;
    Atomics.add(this.words, MAIN_WAITING, 1);
    try {
      for (let held = Atomics.compareExchange(this.words, LOCK, FREE, HELD_BY_MAIN); held !== FREE; held = Atomics.compareExchange(this.words, LOCK, FREE, HELD_BY_MAIN)) {
        const wait = waitAsync(this.words, LOCK, held);
        if (wait.async) await wait.value;
      }
    } finally {
      Atomics.sub(this.words, MAIN_WAITING, 1);
      Atomics.notify(this.words, MAIN_WAITING);
    }
  }
}

/** The fold thread's side of the gate over `buffer`; its thread may block, so it waits with `Atomics.wait`. */
export function foldThreadGate(buffer: SharedArrayBuffer): { acquire(): void; release(): void } {
  const words = new Int32Array(buffer);
  return {
    acquire() {
      for (;;) {
        const waiting = Atomics.load(words, MAIN_WAITING);
        if (waiting > 0) {
          Atomics.wait(words, MAIN_WAITING, waiting, 50);
          continue;
        }
        const held = Atomics.compareExchange(words, LOCK, FREE, HELD_BY_FOLD);
        if (held === FREE) return;
        Atomics.wait(words, LOCK, held, 50);
      }
    },
    release() {
      Atomics.store(words, LOCK, FREE);
      Atomics.notify(words, LOCK);
    },
  };
}
