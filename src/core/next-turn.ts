/**
 * A turn of the event loop: whatever is waiting (requests, timers, I/O) runs before the caller
 * goes on. Long computations over synchronous reads (SQLite) call it between their steps, so the
 * one thread that answers every request is never held for long by one of them.
 */
export const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
