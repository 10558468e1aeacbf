/**
 * One logged visit as its owner may see it NOW: what `profile.visited` webhooks and the live
 * feed carry. Same rules as the visitor list (list-viewers.ts, rules/reading-rules.ts), applied
 * at the time of delivery, not of the visit:
 * - the owner or the viewer erased since, or a block between them: nothing is told (undefined);
 * - a visit older than the owner's plan horizon: nothing (the owner could not see it either);
 * - a free owner browsing privately (reciprocity): the visit without any viewer (`viewer: null`);
 * - otherwise the viewer rendered by `renderViewer` at their recency rank among all the
 *   owner's viewers in the horizon (free plan: beyond the first N, blurred); a hidden viewer's
 *   entry carries no identifier and its times no finer than the hour.
 */
import { floorToHour, historyHorizon, ranksThatMatter, renderViewer, type VisibleViewer } from '../rules/reading-rules.js';
import { mergeView, type ViewSummary } from '../rules/summary-merge.js';
import type { VisitLogEntry } from '../visit-log.js';
import type { ViewerSummary, Workspace } from '../types.js';
import type { CoreDeps } from './deps.js';
import { blockedViewers } from './blocks.js';

export interface VisitNotification {
  profileId: string;
  /** The visit's id as recorded (the platform's own id when it sent one). */
  visitId: string;
  /** Position of the visit in the workspace's log. */
  position: number;
  /** When the visit happened (epoch ms); to the hour when the viewer is not shown in full. */
  viewedAt: number;
  source: VisitLogEntry['source'];
  /** The viewer's views of this profile within the owner's horizon; null when the viewer is not shown at all. */
  viewCount: number | null;
  viewer: Pick<VisibleViewer, 'appearance' | 'blurred' | 'label' | 'identity' | 'traits'> | null;
}

export async function visitNotification(deps: CoreDeps, workspace: Workspace, entry: VisitLogEntry): Promise<VisitNotification | undefined> {
  const ws = workspace.id;
  const members = await deps.store.members.getMany(ws, [entry.profileId, entry.viewerId]);
  const owner = members.get(entry.profileId);
  const viewer = members.get(entry.viewerId);
  if (!owner || !viewer) return undefined;
  const excluded = (await blockedViewers(deps, ws, owner.id)) ?? [];
  if (excluded.includes(viewer.id)) return undefined;
  const now = deps.clock.now();
  const horizon = historyHorizon(owner, workspace.settings, now);
  if (entry.viewedAt < horizon) return undefined;
  const base = { profileId: owner.id, visitId: entry.visitId, position: entry.position, source: entry.source };
  if (owner.plan === 'free' && owner.visibility === 'private') {
    return { ...base, viewedAt: floorToHour(entry.viewedAt), viewCount: null, viewer: null };
  }
  // The viewer's row, from their views of the profile within the horizon: one indexed read of
  // the pair, not the owner's visitor list (whose page total, read for every message, was most of
  // a delivery's cost on PostgreSQL: docs/webhooks.md, "Measured").
  const views = await deps.store.visits.viewsOfPair(ws, owner.id, viewer.id, horizon);
  let merged: ViewSummary | null = null;
  for (const v of views) merged = mergeView(merged, v.viewedAt, v.source);
  if (!merged) return undefined;
  const row: ViewerSummary = { viewerId: viewer.id, viewCount: merged.count, firstViewedAt: merged.first, lastViewedAt: merged.last, lastSource: merged.lastSource };
  // Their recency rank among the owner's viewers in the horizon matters only among the first
  // few (ranksThatMatter): only those rows are read, and any rank past them renders alike.
  const matter = ranksThatMatter(owner, workspace.settings);
  let rank = matter;
  if (matter > 0) {
    const top = await deps.store.visits.viewersAfter({
      workspaceId: ws,
      profileId: owner.id,
      since: horizon,
      after: null,
      limit: matter,
      ...(excluded.length ? { excludeViewerIds: excluded } : {}),
    });
    const i = top.rows.findIndex((r) => r.viewerId === viewer.id);
    if (i >= 0) rank = i;
  }
  const v = renderViewer(row, viewer, owner, rank, workspace.settings, null);
  const shown = v.appearance === 'full';
  return {
    ...base,
    viewedAt: shown ? entry.viewedAt : floorToHour(entry.viewedAt),
    viewCount: v.viewCount,
    viewer: { appearance: v.appearance, blurred: v.blurred, label: v.label, identity: v.identity, traits: v.traits },
  };
}
