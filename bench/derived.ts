/**
 * The bulk loaders bypass the store's write path, so every table the store keeps beside the
 * summary on write must be rebuilt here from the loaded rows. A table listed here is filled
 * only when the schema has it. `checkDataset` then asks the project's own store for the
 * celebrity's list total and compares it with a direct count, so a derived table added to the
 * schema later and missing here stops the build instead of skewing the results.
 */
import { systemClock } from '../src/core/index.js';
import { openStore } from '../src/storage/open-store.js';
import { WORKSPACE_ID, celebrityId, DAY_MS } from './dataset-shape.js';

export interface DerivedTable {
  table: string;
  /** Fills the table from visitor_summary or the raw visits (same SQL on SQLite and PostgreSQL). */
  fill: string;
}

export const DERIVED_TABLES: DerivedTable[] = [
  {
    // Distinct viewers per profile and UTC day of last view (schema 4): the list's total.
    table: 'viewer_day_counts',
    fill: `INSERT INTO viewer_day_counts (workspace_id, profile_id, day, viewers)
      SELECT workspace_id, profile_id, last_viewed_at / ${DAY_MS}, count(*) FROM visitor_summary GROUP BY 1, 2, 3`,
  },
  // The insights projection (docs/insights.md): views per profile per 15-minute slot, and per
  // profile, slot, viewer and source. A loader that fills the visit log with these visits sets
  // the projection's checkpoint to the log's head (dataset-postgres.ts); one that does not
  // (SQLite's) leaves it at zero, with no entry for the runner to apply twice.
  {
    table: 'insight_slots',
    fill: `INSERT INTO insight_slots (workspace_id, profile_id, slot, views)
      SELECT workspace_id, profile_id, CAST(viewed_at / 900000 AS INTEGER), count(*) FROM visits GROUP BY 1, 2, 3`,
  },
  {
    table: 'insight_viewer_slots',
    fill: `INSERT INTO insight_viewer_slots (workspace_id, profile_id, slot, viewer_id, source, views)
      SELECT workspace_id, profile_id, CAST(viewed_at / 900000 AS INTEGER), viewer_id, source, count(*) FROM visits GROUP BY 1, 2, 3, 4, 5`,
  },
];

export class DatasetCheckError extends Error {
  override name = 'DatasetCheckError';
}

/** Reads the celebrity's visitor list through the store and compares it with a count of summary rows. */
export async function checkDataset(databaseUrl: string, countDirect: (since: number) => Promise<number>): Promise<void> {
  const store = await openStore({ databaseUrl, sqliteSynchronous: 'normal', pgPoolSize: 1 }, { migrate: false });
  try {
    const since = systemClock.now() - 365 * DAY_MS;
    const page = await store.visits.listViewers({ workspaceId: WORKSPACE_ID, profileId: celebrityId(), since, until: null, offset: 0, limit: 1 });
    const direct = await countDirect(since);
    if (page.total !== direct || page.rows.length !== Math.min(1, direct)) {
      throw new DatasetCheckError(
        `the store reads a total of ${page.total} viewers for the celebrity, the summary holds ${direct}: the bench's loader misses a table the store keeps on write (see bench/derived.ts)`,
      );
    }
  } finally {
    await store.close();
  }
}
