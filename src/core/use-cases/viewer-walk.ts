import { notFound } from '../errors.js';
import { assertMaySeeViewers, historyHorizon, type VisibleViewer } from '../rules/reading-rules.js';
import type { PairView, ViewerCursor } from '../store.js';
import type { Member, ViewerSummary, Workspace } from '../types.js';
import type { CoreDeps } from './deps.js';
import { blockedViewers } from './blocks.js';
import { renderRows } from './list-viewers.js';

/** Log entries read at a time when catching up with visits recorded during a walk. */
const LOG_PAGE = 1_000;

export interface ViewerWalk {
  owner: Member;
  /** The range walked: the owner's plan horizon when the walk began, open-ended. */
  since: number;
  /** Pages of the owner's whole visitor list, each as the list renders it; empty pages are skipped. */
  pages: AsyncGenerator<VisibleViewer[]>;
}

/**
 * The owner's whole visitor list (the plan's horizon, no time bounds: what their list shows
 * with no parameters), page by page, rendered exactly as `listViewers` renders it
 * (`renderRows`: the rank of each row is its position in the list, as for an unfiltered list).
 * For an export: docs/privacy-controls.md, "Export".
 *
 * Pages are found by where the previous one ended (`VisitStore.viewersAfter`), never by an
 * offset, so every page of a million viewers costs the same. The list is walked as it stood
 * when the walk began (at the visit log's head then): a row only ever moves up the list (a
 * newer view), so a viewer who views the owner again during the walk would jump over the
 * cursor and be missed, or a new viewer shift the ranks below. So the viewers the visit log
 * shows viewing the owner after that head are taken out of the live pages and put back where
 * and as they stood at the start (rebuilt from their stored views less the logged new ones);
 * those who had not viewed the owner before are left out. Nobody is listed twice or skipped.
 * What such a walk holds is a page and the rows of the viewers who viewed the owner during it
 * (a page grows to hold every viewer of one millisecond, see below).
 *
 * What is not frozen: blocks (a block made during the walk hides the pair from the next page
 * on), a viewer erased or visits purged during the walk (gone from the next page), and the
 * viewers' profiles (read as each page is).
 */
export async function walkViewers(deps: CoreDeps, workspace: Workspace, ownerId: string, pageSize: number): Promise<ViewerWalk> {
  const owner = await deps.store.members.get(workspace.id, ownerId);
  if (!owner) throw notFound(`member ${ownerId} not found`);
  assertMaySeeViewers(owner);
  const since = historyHorizon(owner, workspace.settings, deps.clock.now());
  // The head first: every visit with a later position is "during the walk", whether or not
  // the first page happens to see it.
  const head = (await deps.store.visitLog.heads()).find((h) => h.workspaceId === workspace.id)?.position ?? 0;
  return { owner, since, pages: pagesOf(deps, workspace, owner, since, head, pageSize) };
}

async function* pagesOf(deps: CoreDeps, workspace: Workspace, owner: Member, since: number, head: number, pageSize: number): AsyncGenerator<VisibleViewer[]> {
  const recent = new RecentViewers(deps, workspace.id, owner.id, since, head);
  let cursor: ViewerCursor | null = null;
  let rank = 0;
  let limit = pageSize;
  for (;;) {
    // A walk outlives a request: each page sees what other processes committed before it.
    deps.store.beginRequest?.();
    const exclude = await blockedViewers(deps, workspace.id, owner.id);
    const live = await deps.store.visits.viewersAfter({
      workspaceId: workspace.id,
      profileId: owner.id,
      since,
      after: cursor,
      limit,
      ...(exclude ? { excludeViewerIds: exclude } : {}),
    });
    // After the page: the log then names at least every visit the page could have seen.
    await recent.catchUp();
    const end = live.rows.length < limit;
    // Live rows are right up to the last one read, except those of viewers seen since the start.
    const bound = end ? null : live.rows.at(-1)!;
    const excluded = new Set(exclude);
    let rows: ViewerSummary[] = [...live.rows.filter((r) => !recent.has(r.viewerId)), ...recent.startRowsBetween(cursor, bound).filter((r) => !excluded.has(r.viewerId))]
      .sort(listOrder)
      .slice(0, limit);
    // Every row up to the bound is read when fewer than a page were; else up to the last one.
    let last: ViewerCursor | null = rows.length === limit ? rows.at(-1)! : bound;
    if (last !== null && rows.length > 0) {
      // More rows may share the last one's millisecond: they are held back for the next page,
      // so hidden entries viewed at one instant are ordered together (orderHiddenTies) and a
      // page boundary never shows their store order, which is by viewer id. A page that is one
      // instant throughout is read again, twice as long.
      const at = last.lastViewedAt;
      const kept = rows.filter((r) => r.lastViewedAt !== at);
      if (kept.length === 0) {
        limit *= 2;
        continue;
      }
      rows = kept;
      last = kept.at(-1)!;
    }
    limit = pageSize;
    const firstRank = rank;
    rank += rows.length;
    if (rows.length > 0) {
      // A backend's viewer cards come with its live rows; rows put back are read from members.
      const cards = live.viewers && rows.every((r) => live.viewers!.has(r.viewerId)) ? { viewers: live.viewers } : {};
      const viewers = await renderRows(deps, workspace, owner, { rows, ...cards }, (_row, i) => firstRank + i);
      if (viewers.length > 0) yield viewers;
    }
    if (last === null) return;
    cursor = { lastViewedAt: last.lastViewedAt, viewerId: last.viewerId };
  }
}

/**
 * The viewers of one profile the visit log shows viewing it after `head`, and the row each had
 * in the list at that head (none: a new viewer, left out). A start row is rebuilt once, from the
 * pair's stored views less the ones logged after the head, and never changes after that: later
 * views are after the head too.
 */
class RecentViewers {
  /** Views logged after the head, by viewer. */
  private logged = new Map<string, PairView[]>();
  private rebuilt = new Set<string>();
  /** Start rows of the viewers seen so far, in list order. */
  private rows: ViewerSummary[] = [];
  private position: number;

  constructor(
    private deps: CoreDeps,
    private workspaceId: string,
    private profileId: string,
    private since: number,
    head: number,
  ) {
    this.position = head;
  }

  has(viewerId: string): boolean {
    return this.logged.has(viewerId);
  }

  /** Reads the log on from where it stopped, then rebuilds the start rows of newly seen viewers. */
  async catchUp(): Promise<void> {
    await this.readLog();
    const fresh = [...this.logged.keys()].filter((id) => !this.rebuilt.has(id));
    if (fresh.length === 0) return;
    const stored = new Map<string, PairView[]>();
    for (const id of fresh) stored.set(id, await this.deps.store.visits.viewsOfPair(this.workspaceId, this.profileId, id, this.since));
    // Read after the views: every logged view those reads could hold is known when subtracted.
    await this.readLog();
    for (const id of fresh) {
      this.rebuilt.add(id);
      const row = startRow(id, stored.get(id)!, this.logged.get(id) ?? []);
      if (row) this.rows.splice(firstAfter(this.rows, row), 0, row);
    }
  }

  /** Start rows strictly after `after` and up to `upTo` inclusive (null: from the top, to the end). */
  startRowsBetween(after: ViewerCursor | null, upTo: ViewerCursor | null): ViewerSummary[] {
    const from = after ? firstAfter(this.rows, after) : 0;
    const to = upTo ? firstAfter(this.rows, upTo) : this.rows.length;
    return this.rows.slice(from, to).map((r) => ({ ...r }));
  }

  private async readLog(): Promise<void> {
    // Nothing new in this workspace: no read. (On SQLite the log is one sequence for every
    // workspace, without an index by workspace: a read walks other workspaces' entries too.)
    const head = (await this.deps.store.visitLog.heads()).find((h) => h.workspaceId === this.workspaceId)?.position ?? 0;
    if (head <= this.position) return;
    for (;;) {
      const entries = await this.deps.store.visitLog.read(this.workspaceId, this.position, LOG_PAGE);
      for (const e of entries) {
        this.position = e.position;
        if (e.profileId !== this.profileId) continue;
        const views = this.logged.get(e.viewerId) ?? [];
        views.push({ viewedAt: e.viewedAt, source: e.source });
        this.logged.set(e.viewerId, views);
      }
      if (entries.length < LOG_PAGE) return;
    }
  }
}

/** A viewer's row from their stored views (by time) without the logged ones; null when none is left. */
function startRow(viewerId: string, stored: readonly PairView[], logged: readonly PairView[]): ViewerSummary | null {
  const later = new Map<string, number>();
  for (const v of logged) later.set(keyOf(v), (later.get(keyOf(v)) ?? 0) + 1);
  let row: ViewerSummary | null = null;
  for (const v of stored) {
    const n = later.get(keyOf(v)) ?? 0;
    if (n > 0) {
      later.set(keyOf(v), n - 1);
      continue;
    }
    if (!row) row = { viewerId, viewCount: 0, firstViewedAt: v.viewedAt, lastViewedAt: v.viewedAt, lastSource: v.source };
    row.viewCount++;
    // By time, ties in recording order: the last one read is the latest.
    row.lastViewedAt = v.viewedAt;
    row.lastSource = v.source;
  }
  return row;
}

const keyOf = (v: PairView) => `${v.viewedAt} ${v.source}`;

/** The stores' list order: newest last view first, then viewer id compared bytewise (UTF-8), as both backends do. */
function listOrder(a: ViewerCursor, b: ViewerCursor): number {
  if (a.lastViewedAt !== b.lastViewedAt) return b.lastViewedAt - a.lastViewedAt;
  return a.viewerId === b.viewerId ? 0 : Buffer.compare(Buffer.from(a.viewerId), Buffer.from(b.viewerId));
}

/** Index of the first row of `sorted` strictly after `c` in list order. */
function firstAfter(sorted: readonly ViewerCursor[], c: ViewerCursor): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (listOrder(sorted[mid]!, c) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
