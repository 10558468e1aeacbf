/**
 * Reads of the insights projection on SQLite (docs/insights.md, core/insights-store.ts); it is
 * built by insights-projection.ts and an erase takes a member out of it (insights-sql.ts).
 */
import {
  nextTurn,
  sumIntoBuckets,
  type InsightsStore,
  type InsightsVersions,
  type RangeViewer,
  type ViewerTraits,
  type Visibility,
  type VisitSource,
  type WorkspaceSlotViews,
  type WorkspaceViewers,
} from '../../core/index.js';
import type { SqliteDb } from './database.js';

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

export class SqliteInsights implements InsightsStore {
  private views;
  private viewerViews;
  private viewerRows;
  private viewerRowsAfter;
  private traits;
  private wsViews;
  private wsDistinct;
  private wsViewerIds;
  private top;
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
    this.wsViews = db
      .prepare<[string, number, number], [number, string, number]>(
        'SELECT slot, source, sum(views) FROM insight_viewer_slots WHERE workspace_id = ? AND slot >= ? AND slot < ? GROUP BY slot, source',
      )
      .raw();
    this.wsDistinct = db
      .prepare<[string, number, number], number>(
        'SELECT count(DISTINCT viewer_id) FROM insight_viewer_slots INDEXED BY insight_viewer_slots_workspace WHERE workspace_id = ? AND slot >= ? AND slot < ?',
      )
      .pluck();
    this.wsViewerIds = db
      .prepare<[string, number, number], string>(
        'SELECT DISTINCT viewer_id FROM insight_viewer_slots INDEXED BY insight_viewer_slots_workspace WHERE workspace_id = ? AND slot >= ? AND slot < ?',
      )
      .pluck();
    this.top = db
      .prepare<[string, number, number, number], [string, number]>(
        `SELECT profile_id, sum(views) AS n FROM insight_slots WHERE workspace_id = ? AND slot >= ? AND slot < ?
          GROUP BY profile_id HAVING n > 0 ORDER BY n DESC, profile_id LIMIT ?`,
      )
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
  private async *viewerRowChunks(ws: string, profileId: string, from: number, to: number): AsyncGenerator<[number, string, string][]> {
    let rows = this.viewerRows.all(ws, profileId, from, to, RANGE_CHUNK);
    for (;;) {
      yield rows;
      if (rows.length < RANGE_CHUNK) return;
      const [slot, viewer, source] = rows.at(-1)!;
      await nextTurn();
      rows = this.viewerRowsAfter.all(ws, profileId, slot, viewer, source, to, RANGE_CHUNK);
    }
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
    // Cards share a few thousand values (companies, titles, places): one string each, not one
    // per viewer (40 MB of a celebrity's month).
    const strings = new Map<string, string>();
    const shared = (v: string | null) => (v === null ? null : (strings.get(v) ?? (strings.set(v, v), v)));
    const out: RangeViewer[] = [];
    const ids = [...sources.keys()];
    for (let i = 0; i < ids.length; i += CARD_CHUNK) {
      if (i > 0) await nextTurn();
      for (const [viewerId, visibility, company, title, industry, location] of this.traits.iterate(ws, JSON.stringify(ids.slice(i, i + CARD_CHUNK)))) {
        const viewer = { visibility: visibility as Visibility, company: shared(company), title: shared(title), industry: shared(industry), location: shared(location) };
        out.push({ viewerId, sources: sources.get(viewerId)!, viewer });
        sources.delete(viewerId);
      }
    }
    // Those left have no card: erased since (their rows are going with them).
    for (const [viewerId, list] of sources) out.push({ viewerId, sources: list, viewer: undefined });
    return out;
  }

  async workspaceViews(ws: string, from: number, to: number): Promise<WorkspaceSlotViews[]> {
    return this.wsViews.all(ws, from, to).map(([slot, source, views]) => ({ slot, source: source as VisitSource, views }));
  }

  async workspaceViewers(ws: string, boundaries: readonly number[]): Promise<WorkspaceViewers> {
    const perBucket = boundaries.slice(1).map((to, i) => this.wsDistinct.get(ws, boundaries[i]!, to)!);
    return { perBucket, viewerIds: this.wsViewerIds.all(ws, boundaries[0]!, boundaries.at(-1)!) };
  }

  async topProfiles(ws: string, from: number, to: number, limit: number): Promise<{ profileId: string; views: number }[]> {
    return this.top.all(ws, from, to, limit).map(([profileId, views]) => ({ profileId, views }));
  }
}
