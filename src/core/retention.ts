/**
 * What a retention purge needs from a backend (docs/privacy-controls.md, "Retention"). The
 * policy (each workspace's cutoff, batch sizes, what is reported) is the core's
 * (use-cases/purge.ts); a backend deletes and keeps its projections right, atomically per batch.
 */

/** What a purge removed, or would remove. */
export interface PurgeCounts {
  /** Visits deleted (or older than the cutoff, for a dry run). */
  visits: number;
  /** Viewer summaries deleted: every visit of that viewer of that profile was older than the cutoff. */
  pairsRemoved: number;
  /** Summaries recomputed (count, first view) from the visits that stay. */
  pairsChanged: number;
  /** Entries removed from the visit log (docs/visit-log.md): the same visits, as the log held them. */
  logEntries: number;
}

export interface RetentionStore {
  /**
   * Drops whole stored ranges of visits that end at or before `cutoff`, for every workspace at
   * once (PostgreSQL's monthly partitions); the summaries of the visits they held are put
   * right by `purgeBatch` (which does not need the old visits to do it). Returns how many
   * ranges were dropped; a backend without such ranges returns 0.
   */
  dropWholeRanges(cutoff: number): Promise<number>;
  /**
   * One batch, one transaction: deletes up to `limit` of the workspace's visits older than
   * `cutoff` (oldest first), with their client ids, and recomputes the summaries and day
   * histogram of the pairs they belonged to from the visits that stay. Then also puts right up
   * to `limit` summaries that still count visits older than the cutoff whose rows are already
   * gone (a range dropped whole). The visit log is walked in chunks of positions after the
   * visits (it has no index by time), its entries older than the cutoff deleted. `done`: nothing
   * older is left; otherwise call again (state between calls lives in the store instance; a
   * new instance starts its walk over, which is only repeated work).
   */
  purgeBatch(workspaceId: string, cutoff: number, limit: number): Promise<PurgeCounts & { done: boolean }>;
  /** What `purgeBatch` would remove, counted without writing. */
  countExpired(workspaceId: string, cutoff: number): Promise<PurgeCounts>;
}
