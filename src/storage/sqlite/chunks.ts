/**
 * Reading a long range a chunk at a time (docs/insights.md, "Computing without holding the
 * server"): better-sqlite3 answers synchronously, so one statement over millions of rows holds
 * the server's only thread until it is done. Each chunk starts after the last row of the one
 * before (a keyset over a unique key order, not an offset), and the event loop turns between
 * chunks so other requests are answered. Rows written between two chunks are read or not as a
 * read a moment later would.
 */
import { nextTurn } from '../../core/index.js';

/**
 * The chunks `first()` then `after(last row)` return, until one is shorter than `size` (the
 * statements' LIMIT).
 */
export async function* keysetChunks<R>(size: number, first: () => R[], after: (last: R) => R[]): AsyncGenerator<R[]> {
  let rows = first();
  for (;;) {
    yield rows;
    if (rows.length < size) return;
    const last = rows.at(-1)!;
    await nextTurn();
    rows = after(last);
  }
}
