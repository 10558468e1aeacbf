import { notFound } from '../errors.js';
import {
  appearanceFor,
  assertMaySeeViewers,
  historyHorizon,
  renderViewer,
  type VisibleViewer,
} from '../rules/reading-rules.js';
import { connectionDegrees } from '../rules/connection-degrees.js';
import type { Member, Workspace } from '../types.js';
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
  const since = Math.max(q.since ?? 0, historyHorizon(owner, workspace.settings, now));
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
  const members = page.viewers ?? (await deps.store.members.getMany(workspace.id, page.rows.map((r) => r.viewerId)));
  // Only viewers shown in full carry a degree, so the graph is searched for them alone (and
  // their appearance is worked out twice only for a list that asks for degrees).
  const degrees = q.withDegrees ? await degreesOfShownInFull(deps, workspace, owner, page.rows, members, q.offset, q.withDegrees) : undefined;
  const viewers: VisibleViewer[] = [];
  page.rows.forEach((row, i) => {
    const viewer = members.get(row.viewerId);
    // An erased viewer disappears; its summary rows are removed with it, this guards a race.
    if (!viewer) return;
    const degree = degrees?.get(row.viewerId) ?? null;
    viewers.push(renderViewer(row, viewer, owner, q.offset + i, workspace.settings, degree));
  });
  return { owner, total: page.total, offset: q.offset, since, until, viewers };
}

async function degreesOfShownInFull(
  deps: CoreDeps,
  workspace: Workspace,
  owner: Member,
  rows: ViewerRows['rows'],
  members: ReadonlyMap<string, Member>,
  offset: number,
  withDegrees: true | 1 | 3,
) {
  const shownInFull = rows
    .filter((r, i) => {
      const m = members.get(r.viewerId);
      return m !== undefined && appearanceFor(m.visibility, owner, offset + i, workspace.settings).appearance === 'full';
    })
    .map((r) => r.viewerId);
  if (shownInFull.length === 0) return undefined;
  return connectionDegrees(deps.store.connections, workspace.id, owner.id, shownInFull, withDegrees === 1 ? 1 : 3);
}
