/**
 * Reads of the insights projection on SQLite (docs/insights.md, core/insights-store.ts); it is
 * built by insights-projection.ts and an erase takes a member out of it (insights-sql.ts).
 */
import {
  nextTurn,
  sumIntoBuckets,
  viewerTraitsBuilder,
  type InsightsStore,
  type InsightsVersions,
  type RangeViewer,
  type VisitSource,
  type WorkspaceSlotViews,
  type WorkspaceViewers,
} from '../../core/index.js';
import type { SqliteDb } from './database.js';
import { keysetChunks } from './chunks.js';

/**
 * Rows read per statement when collecting a range's viewers. better-sqlite3 answers
 * synchronously, so one statement over a full-scale celebrity's month held the server's thread
 * for seconds (docs/insights.md, "Cost"); read in chunks with a turn of the event loop between
 * them, the computation takes as long but every other request is answered meanwhile.
 */
export const RANGE_CHUNK = 4_096;
/**
 * Cards per statement: fewer than rows, as each is a lookup at a random place in the members'
 * B-tree (at full scale about 20 µs each when its pages are not in SQLite's cache).
 */
const CARD_CHUNK = 1_024;
/**
 * Profiles per statement when ranking a workspace's profiles: each brings all its slot rows
 * (about 10 on average at full scale, at most 35,040 a year), so a chunk is a few tens of
 * thousands of rows, a few ms.
 */
const TOP_CHUNK = 4_096;

/** Maps the workspace's distinct viewers are kept in (workspaceViewers); a power of two. */
const VIEWER_SHARDS = 16;

/** A row of the workspace index in key order: slot, viewer, profile, source, then views. */
type WorkspaceRow = [number, string, string, string, number];

export class SqliteInsights implements InsightsStore {
  private views;
  private viewerViews;
  private viewerRows;
  private viewerRowsAfter;
  private traits;
  private wsRows;
  private wsRowsAfter;
  private top;
  private topAfter;
  private version;

  constructor(db: SqliteDb) {
    // The profile's counter (migration 14, moved in the transaction of every change to its
    // rows) and the main file's change epoch, which every write to members, connections and
    // blocks moves, by any process (read-cache.ts, "Coherence").
    this.version = db
      .prepare<[string, string], [number | null, number]>(
        `SELECT (SELECT version FROM main.insight_versions WHERE workspace_id = ? AND profile_id = ?),
                (SELECT n FROM main.change_epoch WHERE id = 1)`,
      )
      .raw();
    this.views = db
      .prepare<[string, string, number, number], [number, number]>(
        'SELECT slot, views FROM insight_slots WHERE workspace_id = ? AND profile_id = ? AND slot >= ? AND slot < ?',
      )
      .raw();
    this.viewerViews = db
      .prepare<[string, string, number, number, string], [number, number]>(
        `SELECT slot, sum(views) FROM insight_viewer_slots WHERE workspace_id = ? AND profile_id = ? AND slot >= ? AND slot < ?
          AND viewer_id IN (SELECT value FROM json_each(?)) GROUP BY slot`,
      )
      .raw();
    // Rows, not a GROUP BY: grouping a celebrity's year of slot rows by viewer in SQL took six
    // times as long as reading them (the bench's small celebrity: 15 ms against 2.3 ms).
    // In key order, a chunk at a time: the first from the range's start, each next one after
    // the last key read (a row value over the primary key, which SQLite seeks to).
    this.viewerRows = db
      .prepare<[string, string, number, number, number], [number, string, string]>(
        `SELECT slot, viewer_id, source FROM insight_viewer_slots WHERE workspace_id = ? AND profile_id = ? AND slot >= ? AND slot < ?
          ORDER BY slot, viewer_id, source LIMIT ?`,
      )
      .raw();
    this.viewerRowsAfter = db
      .prepare<[string, string, number, string, string, number, number], [number, string, string]>(
        `SELECT slot, viewer_id, source FROM insight_viewer_slots WHERE workspace_id = ? AND profile_id = ? AND (slot, viewer_id, source) > (?, ?, ?) AND slot < ?
          ORDER BY slot, viewer_id, source LIMIT ?`,
      )
      .raw();
    this.traits = db
      .prepare<[string, string], [string, string, string | null, string | null, string | null, string | null]>(
        'SELECT id, visibility, company, title, industry, location FROM members WHERE workspace_id = ? AND id IN (SELECT value FROM json_each(?))',
      )
      .raw();
    // Workspace insights: the range's rows of the workspace index (migration 16, which holds
    // every column read here, so the table is not read) in key order, a chunk at a time, each
    // next one after the last key read. The key (slot, viewer, profile, source) is unique.
    this.wsRows = db
      .prepare<[string, number, number, number], WorkspaceRow>(
        `SELECT slot, viewer_id, profile_id, source, views FROM insight_viewer_slots INDEXED BY insight_viewer_slots_workspace
          WHERE workspace_id = ? AND slot >= ? AND slot < ? ORDER BY slot, viewer_id, profile_id, source LIMIT ?`,
      )
      .raw();
    this.wsRowsAfter = db
      .prepare<[string, number, string, string, string, number, number], WorkspaceRow>(
        `SELECT slot, viewer_id, profile_id, source, views FROM insight_viewer_slots INDEXED BY insight_viewer_slots_workspace
          WHERE workspace_id = ? AND (slot, viewer_id, profile_id, source) > (?, ?, ?, ?) AND slot < ? ORDER BY slot, viewer_id, profile_id, source LIMIT ?`,
      )
      .raw();
    // Most viewed profiles: their sums TOP_CHUNK profiles at a time in key order of the primary
    // key, each next chunk after the last profile read. Every profile with a row is a group (a
    // FILTER, not a WHERE on slot), so a chunk is TOP_CHUNK profiles whatever their rows in the
    // range; those with none sum to null and are left out below, as HAVING n > 0 did.
    const top = `SELECT profile_id, sum(views) FILTER (WHERE slot >= ? AND slot < ?) FROM insight_slots WHERE workspace_id = ?`;
    this.top = db
      .prepare<[number, number, string, number], [string, number | null]>(`${top} GROUP BY profile_id ORDER BY profile_id LIMIT ?`)
      .raw();
    this.topAfter = db
      .prepare<[number, number, string, string, number], [string, number | null]>(`${top} AND profile_id > ? GROUP BY profile_id ORDER BY profile_id LIMIT ?`)
      .raw();
  }

  async versions(ws: string, profileId: string): Promise<InsightsVersions> {
    const [projection, directory] = this.version.get(ws, profileId)!;
    return { projection: String(projection ?? 0), directory: String(directory) };
  }

  async profileViews(ws: string, profileId: string, boundaries: readonly number[], viewerIds?: readonly string[]): Promise<number[]> {
    const [from, to] = [boundaries[0]!, boundaries.at(-1)!];
    const rows = viewerIds ? this.viewerViews.all(ws, profileId, from, to, JSON.stringify(viewerIds)) : this.views.all(ws, profileId, from, to);
    return sumIntoBuckets(
      rows.map(([slot, views]) => ({ slot, views })),
      boundaries,
    );
  }

  async distinctViewers(ws: string, profileId: string, from: number, to: number, exclude: readonly string[]): Promise<number> {
    // Counted here from the rows rather than by count(DISTINCT) in one statement, which held the
    // thread 0.15 to 0.25 s for a full-scale celebrity's previous month.
    const left = new Set(exclude);
    const seen = new Set<string>();
    for await (const rows of this.viewerRowChunks(ws, profileId, from, to)) for (const [, viewer] of rows) if (!left.has(viewer)) seen.add(viewer);
    return seen.size;
  }

  /**
   * The range's viewer rows in key order, RANGE_CHUNK at a time, with a turn of the event loop
   * between chunks. Rows written between two chunks are read or not as any later read would.
   */
  private viewerRowChunks(ws: string, profileId: string, from: number, to: number): AsyncGenerator<[number, string, string][]> {
    return keysetChunks(
      RANGE_CHUNK,
      () => this.viewerRows.all(ws, profileId, from, to, RANGE_CHUNK),
      ([slot, viewer, source]) => this.viewerRowsAfter.all(ws, profileId, slot, viewer, source, to, RANGE_CHUNK),
    );
  }

  async rangeViewers(ws: string, profileId: string, from: number, to: number, exclude: readonly string[]): Promise<RangeViewer[]> {
    // A short array of sources per viewer rather than a Set: a full-scale celebrity's month is
    // 300,000 rows from 260,000 viewers, and holding them all twice over took seconds of garbage
    // collection and hundreds of MB. Read in chunks (viewerRowChunks); a viewer erased meanwhile
    // has no card below and counts nowhere.
    const left = new Set(exclude);
    const sources = new Map<string, VisitSource[]>();
    for await (const rows of this.viewerRowChunks(ws, profileId, from, to)) {
      for (const [, viewer, source] of rows) {
        if (left.has(viewer)) continue;
        const list = sources.get(viewer);
        if (!list) sources.set(viewer, [source as VisitSource]);
        else if (!list.includes(source as VisitSource)) list.push(source as VisitSource);
      }
    }
    const traits = viewerTraitsBuilder();
    const out: RangeViewer[] = [];
    const ids = [...sources.keys()];
    for (let i = 0; i < ids.length; i += CARD_CHUNK) {
      if (i > 0) await nextTurn();
      for (const [viewerId, visibility, company, title, industry, location] of this.traits.iterate(ws, JSON.stringify(ids.slice(i, i + CARD_CHUNK)))) {
        out.push({ viewerId, sources: sources.get(viewerId)!, viewer: traits(visibility, company, title, industry, location) });
        sources.delete(viewerId);
      }
    }
    // Those left have no card: erased since (their rows are going with them).
    for (const [viewerId, list] of sources) out.push({ viewerId, sources: list, viewer: undefined });
    return out;
  }

  /**
   * The workspace's rows of the range in key order (slot first), RANGE_CHUNK at a time, with a
   * turn of the event loop between chunks: one statement over a full-scale month (3 million
   * rows) held the server's thread for 5 to 15 s. Rows written between two chunks are read or
   * not as any later read would.
   */
  private workspaceRowChunks(ws: string, from: number, to: number): AsyncGenerator<WorkspaceRow[]> {
    return keysetChunks(
      RANGE_CHUNK,
      () => this.wsRows.all(ws, from, to, RANGE_CHUNK),
      ([slot, viewer, profile, source]) => this.wsRowsAfter.all(ws, slot, viewer, profile, source, to, RANGE_CHUNK),
    );
  }

  async workspaceViews(ws: string, from: number, to: number): Promise<WorkspaceSlotViews[]> {
    // Summed here per (slot, source), as GROUP BY slot, source did, in the same order: rows come
    // in slot order, so only the current slot's sums are open.
    const out: WorkspaceSlotViews[] = [];
    let current = -1;
    let sums = new Map<string, number>();
    const close = () => {
      for (const source of [...sums.keys()].sort()) out.push({ slot: current, source: source as VisitSource, views: sums.get(source)! });
    };
    for await (const rows of this.workspaceRowChunks(ws, from, to)) {
      for (const [slot, , , source, views] of rows) {
        if (slot !== current) {
          close();
          current = slot;
          sums = new Map();
        }
        sums.set(source, (sums.get(source) ?? 0) + views);
      }
    }
    close();
    return out;
  }

  async workspaceViewers(ws: string, boundaries: readonly number[]): Promise<WorkspaceViewers> {
    // Counted here from the rows rather than by count(DISTINCT) per bucket and a DISTINCT over
    // the range (6.7 s held whole at full scale). Rows come in slot order, hence buckets one
    // after the other: each viewer is kept once with the last bucket it was counted in, one
    // lookup per row. They are kept in VIEWER_SHARDS maps by their id's last character, so that
    // no map's growth copies 950,000 of them at once, and listed as they come rather than copied
    // out at the end (each of those held the thread tens of ms).
    const perBucket = new Array<number>(boundaries.length - 1).fill(0);
    const lastBucket = Array.from({ length: VIEWER_SHARDS }, () => new Map<string, number>());
    const viewerIds: string[] = [];
    let b = 0;
    for await (const rows of this.workspaceRowChunks(ws, boundaries[0]!, boundaries.at(-1)!)) {
      for (const [slot, viewer] of rows) {
        while (slot >= boundaries[b + 1]!) b++;
        const shard = lastBucket[viewer.charCodeAt(viewer.length - 1) & (VIEWER_SHARDS - 1)]!;
        const last = shard.get(viewer);
        if (last === b) continue;
        if (last === undefined) viewerIds.push(viewer);
        shard.set(viewer, b);
        perBucket[b]!++;
      }
    }
    return { perBucket, viewerIds };
  }

  async topProfiles(ws: string, from: number, to: number, limit: number): Promise<{ profileId: string; views: number }[]> {
    // Ranked here, TOP_CHUNK profiles at a time with a turn between (one statement held the
    // thread 0.6 to 0.9 s at full scale). Profiles come in id order, and the sort is stable:
    // among equal views the ones kept from earlier chunks, and earlier rows, come first, which
    // is ties by id in SQLite's order, as ORDER BY n DESC, profile_id did.
    let best: { profileId: string; views: number }[] = [];
    if (limit <= 0) return best;
    const chunks = keysetChunks(
      TOP_CHUNK,
      () => this.top.all(from, to, ws, TOP_CHUNK),
      ([last]) => this.topAfter.all(from, to, ws, last, TOP_CHUNK),
    );
    for await (const rows of chunks) {
      const floor = best.length < limit ? 0 : best.at(-1)!.views;
      let added = false;
      for (const [profileId, views] of rows) {
        if (views !== null && views > floor) {
          best.push({ profileId, views });
          added = true;
        }
      }
      if (added) best = best.sort((a, b) => b.views - a.views).slice(0, limit);
    }
    return best;
  }
}
