import { notFound } from '../errors.js';
import {
  assertMaySeeViewers,
  historyHorizon,
  renderViewer,
  type VisibleViewer,
} from '../rules/reading-rules.js';
import type { Member, Workspace } from '../types.js';
import type { CoreDeps } from './deps.js';

export interface ListViewersQuery {
  ownerId: string;
  offset: number;
  limit: number;
  /** Requested lower bound (epoch ms); the owner's plan may narrow it further. */
  since?: number | null;
  /** Exclusive upper bound (epoch ms); null or absent means up to now. */
  until?: number | null;
  /** Compute connection degrees (costs a graph lookup). */
  withDegrees?: boolean;
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
  const page = await deps.store.visits.listViewers({
    workspaceId: workspace.id,
    profileId: owner.id,
    since,
    until,
    offset: q.offset,
    limit: q.limit,
  });
  const ids = page.rows.map((r) => r.viewerId);
  const [members, degrees] = await Promise.all([
    deps.store.members.getMany(workspace.id, ids),
    q.withDegrees && ids.length ? deps.store.connections.degrees(workspace.id, owner.id, ids) : undefined,
  ]);
  const viewers: VisibleViewer[] = [];
  page.rows.forEach((row, i) => {
    const viewer = members.get(row.viewerId);
    // An erased viewer disappears; its summary rows are removed with it, this guards a race.
    if (!viewer) return;
    viewers.push(renderViewer(row, viewer, owner, q.offset + i, workspace.settings, degrees?.get(row.viewerId) ?? null));
  });
  return { owner, total: page.total, offset: q.offset, since, until, viewers };
}
