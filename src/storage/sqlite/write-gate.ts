/**
 * Whose turn it is to write a database file: this process's main thread or its fold thread
 * (folder.ts). SQLite lets one writer at a time into a file and makes the others wait by
 * sleeping in the calling thread; for the main thread that would stall every request for as
 * long as a fold batch holds the lock. So the two threads first take turns through a lock word
 * in shared memory: the fold thread waits in its own thread, the main thread waits with
 * `Atomics.waitAsync` and never blocks, and the fold thread does not start a batch while the
 * main thread is waiting. Other processes sharing the file still meet at SQLite's own lock.
 *
 * The fold thread's side is `GATE_WORKER_JS`, plain JavaScript for its eval'd body.
 */

/** Int32 words per gate: the lock, and how many main-thread writers are waiting. */
export const GATE_WORDS = 2;
const LOCK = 0;
const MAIN_WAITING = 1;
const FREE = 0;
const HELD = 1;

/** In Node since 16; not in the ES2022 library types this project compiles against. */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

export class WriteGate {
  private words: Int32Array;

  constructor(buffer: SharedArrayBuffer, index: number) {
    this.words = new Int32Array(buffer, index * GATE_WORDS * 4, GATE_WORDS);
  }

  release(): void {
    Atomics.store(this.words, LOCK, FREE);
    Atomics.notify(this.words, LOCK);
  }

  async acquire(): Promise<void> {
    if (Atomics.compareExchange(this.words, LOCK, FREE, HELD) === FREE) return;
    Atomics.add(this.words, MAIN_WAITING, 1);
    try {
      while (Atomics.compareExchange(this.words, LOCK, FREE, HELD) !== FREE) {
        const wait = waitAsync(this.words, LOCK, HELD);
        if (wait.async) await wait.value;
      }
    } finally {
      Atomics.sub(this.words, MAIN_WAITING, 1);
      Atomics.notify(this.words, MAIN_WAITING);
    }
  }
}

/**
 * A store's two gates, the main file's (index 0) and the inbox's (index 1), and this thread's
 * way through them: `fn` is a synchronous write transaction on the file(s) named. Taken in
 * that order, and the fold thread never holds both, so no two writers wait on each other.
 */
export class StoreGates {
  readonly buffer = new SharedArrayBuffer(2 * GATE_WORDS * 4);
  private mainGate = new WriteGate(this.buffer, 0);
  private inboxGate = new WriteGate(this.buffer, 1);

  main<T>(fn: () => T): Promise<T> {
    return this.hold([this.mainGate], fn);
  }

  inbox<T>(fn: () => T): Promise<T> {
    return this.hold([this.inboxGate], fn);
  }

  both<T>(fn: () => T): Promise<T> {
    return this.hold([this.mainGate, this.inboxGate], fn);
  }

  private async hold<T>(gates: WriteGate[], fn: () => T): Promise<T> {
    for (const g of gates) await g.acquire();
    try {
      return fn();
    } finally {
      for (const g of gates) g.release();
    }
  }
}

/** The fold thread's side: `gate(buffer, index)` returns `{acquire, release}`; the thread may block. */
export const GATE_WORKER_JS = `
function gate(buffer, index) {
  const words = new Int32Array(buffer, index * ${GATE_WORDS} * 4, ${GATE_WORDS});
  return {
    acquire() {
      for (;;) {
        const waiting = Atomics.load(words, ${MAIN_WAITING});
        if (waiting > 0) { Atomics.wait(words, ${MAIN_WAITING}, waiting, 50); continue; }
        if (Atomics.compareExchange(words, ${LOCK}, ${FREE}, ${HELD}) === ${FREE}) return;
        Atomics.wait(words, ${LOCK}, ${HELD}, 50);
      }
    },
    release() {
      Atomics.store(words, ${LOCK}, ${FREE});
      Atomics.notify(words, ${LOCK});
    },
  };
}
`;
