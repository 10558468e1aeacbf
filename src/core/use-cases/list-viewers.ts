import { notFound } from '../errors.js';
import {
  appearanceFor,
  assertMaySeeViewers,
  historyHorizon,
  renderViewer,
  type VisibleViewer,
} from '../rules/reading-rules.js';
import { connectionDegrees } from '../rules/connection-degrees.js';
import { orderHiddenTies } from '../rules/hidden-ties.js';
import type { Member, ViewerSummary, Workspace } from '../types.js';
import type { CoreDeps } from './deps.js';
import { blockedViewers } from './blocks.js';
import type { ViewerRows } from '../store.js';

export interface ListViewersQuery {
  ownerId: string;
  offset: number;
  limit: number;
  /** Requested lower bound (epoch ms); the owner's plan may narrow it further. */
  since?: number | null;
  /** Exclusive upper bound (epoch ms); null or absent means up to now. */
  until?: number | null;
  /**
   * Compute connection degrees of the viewers shown in full (a graph lookup): `true` or 3 for
   * 1st/2nd/3rd/3rd+, 1 when only "is a 1st-degree connection" matters (others get no degree).
   */
  withDegrees?: boolean | 1 | 3;
}

export interface ViewerPage {
  owner: Member;
  /** Distinct viewers in the range the owner may see. */
  total: number;
  offset: number;
  /** The range actually applied, after the plan's horizon. */
  since: number;
  until: number | null;
  viewers: VisibleViewer[];
}

/**
 * The visitor list every surface shows: the owner's plan decides how far back and how much,
 * each viewer's visibility decides how they appear. Erased or unknown owners are not found.
 */
export async function listViewers(deps: CoreDeps, workspace: Workspace, q: ListViewersQuery): Promise<ViewerPage> {
  const owner = await deps.store.members.get(workspace.id, q.ownerId);
  if (!owner) throw notFound(`member ${q.ownerId} not found`);
  assertMaySeeViewers(owner);
  const now = deps.clock.now();
  const horizon = historyHorizon(owner, workspace.settings, now);
  const since = Math.max(q.since ?? 0, horizon);
  const until = q.until ?? null;
  // Blocks hide both members from each other's viewers, in the rows and the total alike.
  const excludeViewerIds = await blockedViewers(deps, workspace.id, owner.id);
  const page = await deps.store.visits.listViewers({
    workspaceId: workspace.id,
    profileId: owner.id,
    since,
    until,
    offset: q.offset,
    limit: q.limit,
    ...(excludeViewerIds ? { excludeViewerIds } : {}),
  });
  const rankOf = await recencyRanks(deps, workspace, owner, horizon, since, until, q.offset, page.rows);
  const viewers = await renderRows(deps, workspace, owner, page, rankOf, q.withDegrees);
  return { owner, total: page.total, offset: q.offset, since, until, viewers };
}

/**
 * A page of store rows as the owner may see them: each viewer's appearance from their
 * visibility and their recency rank (`rankOf`), degrees for those shown in full when asked,
 * hidden ties reordered. Every list of viewers is rendered here, the paged list and the export
 * (viewer-walk.ts) alike.
 */
export async function renderRows(
  deps: CoreDeps,
  workspace: Workspace,
  owner: Member,
  page: Omit<ViewerRows, 'total'>,
  rankOf: RankOf,
  withDegrees?: boolean | 1 | 3,
): Promise<VisibleViewer[]> {
  const members = page.viewers ?? (await deps.store.members.getMany(workspace.id, page.rows.map((r) => r.viewerId)));
  // Only viewers shown in full carry a degree, so the graph is searched for them alone (and
  // their appearance is worked out twice only for a list that asks for degrees).
  const degrees = withDegrees ? await degreesOfShownInFull(deps, workspace, owner, page.rows, members, rankOf, withDegrees) : undefined;
  const entries: { viewer: VisibleViewer; viewerId: string; exact: number }[] = [];
  page.rows.forEach((row, i) => {
    const viewer = members.get(row.viewerId);
    // An erased viewer disappears; its summary rows are removed with it, this guards a race.
    if (!viewer) return;
    const degree = degrees?.get(row.viewerId) ?? null;
    entries.push({ viewer: renderViewer(row, viewer, owner, rankOf(row, i), workspace.settings, degree), viewerId: row.viewerId, exact: row.lastViewedAt });
  });
  // Hidden entries viewed at the same instant are not left in viewer-id order.
  return orderHiddenTies(entries);
}

/** A row's recency rank among all the owner's viewers within the plan horizon (0 = most recent). */
export type RankOf = (row: ViewerSummary, indexInPage: number) => number;

/**
 * Each row's recency rank among ALL the owner's viewers within the plan horizon, which is what
 * the free plan's blur follows (docs/compatibility.md, "Who is shown in full"): a time bound,
 * a `timeRange`, a page or an offset must not change who is in full. When the request asks for
 * the whole horizon the page's own position is that rank. Otherwise the rank is known only for
 * the first `freeFullViewers` of the unfiltered list, read once more (a few rows); every other
 * viewer ranks after them, which is all the rule needs. Premium owners blur nobody: no read.
 */
async function recencyRanks(
  deps: CoreDeps,
  workspace: Workspace,
  owner: Member,
  horizon: number,
  since: number,
  until: number | null,
  offset: number,
  rows: ViewerRows['rows'],
): Promise<RankOf> {
  const wholeHorizon = since <= horizon && until === null;
  const inFull = workspace.settings.freeFullViewers;
  if (wholeHorizon || owner.plan !== 'free' || inFull <= 0 || rows.length === 0) return (_row, i) => offset + i;
  const top = await deps.store.visits.listViewers({
    workspaceId: workspace.id,
    profileId: owner.id,
    since: horizon,
    until: null,
    offset: 0,
    limit: inFull,
  });
  const ranks = new Map(top.rows.map((r, i) => [r.viewerId, i]));
  return (row) => ranks.get(row.viewerId) ?? Number.POSITIVE_INFINITY;
}

async function degreesOfShownInFull(
  deps: CoreDeps,
  workspace: Workspace,
  owner: Member,
  rows: ViewerRows['rows'],
  members: ReadonlyMap<string, Member>,
  rankOf: RankOf,
  withDegrees: true | 1 | 3,
) {
  const shownInFull = rows
    .filter((r, i) => {
      const m = members.get(r.viewerId);
      return m !== undefined && appearanceFor(m.visibility, owner, rankOf(r, i), workspace.settings).appearance === 'full';
    })
    .map((r) => r.viewerId);
  if (shownInFull.length === 0) return undefined;
  return connectionDegrees(deps.store.connections, workspace.id, owner.id, shownInFull, withDegrees === 1 ? 1 : 3);
}
