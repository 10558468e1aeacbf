/**
 * Member and workspace insights (docs/insights.md): counts over whole local days of a time zone,
 * read from the insights projections (insights-store.ts), with the privacy and plan rules of
 * rules/insights-privacy.ts. No viewer identity leaves this module: breakdowns are counts per
 * value, and a value is shown only when enough viewers share it.
 */
import { AppError, notFound } from '../errors.js';
import { INSIGHTS_PROJECTION, slotOf, sumIntoBuckets, type SlotViews, type ViewerTraits } from '../insights-store.js';
import { connectionDegrees } from '../rules/connection-degrees.js';
import {
  assertMayBreakDown,
  assertRangeAllowed,
  buildBreakdown,
  changePercent,
  countsInBreakdown,
  INSIGHT_RANGES,
  type Breakdown,
  type BreakdownName,
  type InsightRange,
} from '../rules/insights-privacy.js';
import { assertMaySeeViewers } from '../rules/reading-rules.js';
import { checkTimeZone, isoDate, localDay, startOfLocalDay, weekdayOf, type DayNumber } from '../rules/time-zones.js';
import { VISIBILITIES, type Degree, type Member, type Visibility, type VisitSource, type Workspace } from '../types.js';
import { blockedViewers } from './blocks.js';
import { keptOr } from './insights-kept.js';
import { nextTurn } from '../next-turn.js';
import type { CoreDeps } from './deps.js';

export type Granularity = 'day' | 'week';

export interface InsightsQuery {
  range: InsightRange;
  granularity: Granularity;
  /** IANA zone the days and weeks are counted in. */
  tz: string;
}

export interface MemberInsightsQuery extends InsightsQuery {
  ownerId: string;
  /** Breakdowns of viewers (premium). */
  breakdowns: boolean;
}

/** One bucket of a series: a local day, or a week from Monday (the first one clipped to the range). */
export interface SeriesBucket {
  /** Local date of the bucket's first day (YYYY-MM-DD). */
  date: string;
  from: number;
  to: number;
}

export interface Period {
  from: number;
  to: number;
  views: number;
  uniqueViewers: number;
}

export interface MemberInsights {
  memberId: string;
  range: InsightRange;
  granularity: Granularity;
  timeZone: string;
  current: Period;
  previous: Period;
  change: { views: number | null; uniqueViewers: number | null };
  series: (SeriesBucket & { views: number })[];
  breakdowns: Record<BreakdownName, Breakdown> | null;
}

interface Calendar {
  /** The zone, range, granularity and local day it was built for. */
  key: string;
  timeZone: string;
  /** The first instant of that local day: the calendar holds from it to `to`. */
  todayFrom: number;
  from: number;
  to: number;
  previousFrom: number;
  buckets: SeriesBucket[];
}

/**
 * The range as local days: today and the `days - 1` before it; the previous period is the same
 * number of local days just before (its length in hours may differ across a DST change).
 */
function calendar(q: InsightsQuery, now: number): Calendar {
  const timeZone = checkTimeZone(q.tz);
  // The same for every request of that local day: the zone's rules are asked (through Intl,
  // about 20 us a call) a few times per day of the range, 60 ms for a year's daily series. Even
  // which local day it is costs a call: the one kept says from which instant to which it holds.
  const kept = calendars.get(`${timeZone}\u0000${q.range}\u0000${q.granularity}`);
  if (kept && now >= kept.todayFrom && now < kept.to) return kept;
  const today = localDay(now, timeZone);
  if (calendars.size >= CALENDARS_KEPT) calendars.clear();
  const cal = buildCalendar(q, timeZone, today, `${timeZone}\u0000${q.range}\u0000${q.granularity}\u0000${today}`);
  calendars.set(`${timeZone}\u0000${q.range}\u0000${q.granularity}`, cal);
  return cal;
}

/** Calendars kept (a zone, range and granularity each, for its current local day). */
const CALENDARS_KEPT = 512;
const calendars = new Map<string, Calendar>();

function buildCalendar(q: InsightsQuery, timeZone: string, today: DayNumber, key: string): Calendar {
  const days = INSIGHT_RANGES[q.range];
  const first = today - days + 1;
  const starts: DayNumber[] = [];
  for (let d = first; d <= today; d++) if (d === first || q.granularity === 'day' || weekdayOf(d) === 0) starts.push(d);
  const edges = [...starts, today + 1].map((d) => startOfLocalDay(d, timeZone));
  const buckets = starts.map((d, i) => ({ date: isoDate(d), from: edges[i]!, to: edges[i + 1]! }));
  return { key, timeZone, todayFrom: startOfLocalDay(today, timeZone), from: edges[0]!, to: edges.at(-1)!, previousFrom: startOfLocalDay(first - days, timeZone), buckets };
}

/** Entries applied per catch-up transaction. */
const CATCH_UP_BATCH = 5_000;
/** A backlog a request applies itself (a second or so at most); beyond it, 503. */
const CATCH_UP_MAX = 50_000;

/**
 * Reads are exact: what the log holds of the workspace and the projection has not applied yet
 * (the runner applies it within moments; this is the tail since its last pass) is applied
 * first. Idempotent against the runner and other processes (the checkpoint decides).
 */
async function catchUp(deps: CoreDeps, workspaceId: string): Promise<void> {
  const projection = deps.store.projections.find((p) => p.name === INSIGHTS_PROJECTION);
  if (!projection) throw new AppError('unavailable', 'insights are not available on this store');
  let from = await projection.checkpoint(workspaceId);
  for (let batches = 0; ; batches++) {
    const entries = await deps.store.visitLog.read(workspaceId, from, CATCH_UP_BATCH);
    if (entries.length === 0) return;
    if (batches === 0 && entries.length === CATCH_UP_BATCH) {
      // Far behind (a projection being built from a long log, after an upgrade or a rebuild),
      // the runner catches up in the background; a request would wait minutes: say so.
      const { entries: behind } = await deps.store.visitLog.behind(workspaceId, from);
      if (behind > CATCH_UP_MAX) {
        throw new AppError('unavailable', `insights are being built from the visit log (${behind} visits to go); try again shortly`);
      }
    }
    await projection.apply(workspaceId, entries);
    from = entries.at(-1)!.position;
  }
}

/** Sums slot counts into [from, to) intervals given by ascending boundaries (instants). */
function sumInto(rows: readonly SlotViews[], boundaries: readonly number[]): number[] {
  return sumIntoBuckets(rows, boundaries.map(slotOf));
}

export async function memberInsights(deps: CoreDeps, workspace: Workspace, q: MemberInsightsQuery): Promise<MemberInsights> {
  const owner = await deps.store.members.get(workspace.id, q.ownerId);
  if (!owner) throw notFound(`member ${q.ownerId} not found`);
  assertMaySeeViewers(owner);
  assertRangeAllowed(owner, workspace.settings, q.range);
  if (q.breakdowns) assertMayBreakDown(owner);
  const cal = calendar(q, deps.clock.now());
  const store = deps.store.insights;
  const ws = workspace.id;
  // Blocks hide both members from each other everywhere, in every count (docs/privacy-controls.md).
  // Independent reads go together: on a database server each is a round trip.
  const [blockedOrNone] = await Promise.all([blockedViewers(deps, ws, owner.id), catchUp(deps, ws)]);
  const blocked = blockedOrNone ?? [];
  const [lo, mid] = [slotOf(cal.previousFrom), slotOf(cal.from)];
  // What is read from the projection and the directory is kept while their versions hold
  // (insights-kept.ts): read before computing, and part of the key with all the rest it depends on.
  const versions = await store.versions(ws, owner.id);
  const now = deps.clock.now();
  const keep = <T>(what: string, version: string | undefined, maxAgeMs: number | undefined, compute: () => Promise<T>): Promise<T> =>
    version !== undefined ? keptOr(store, [what, ws, owner.id, cal.key, [...blocked].sort().join(','), version].join('\u0000'), now, maxAgeMs, compute) : compute();
  const counts = keep('counts', versions?.projection, undefined, async () => {
    const bounds = [cal.previousFrom, ...cal.buckets.map((b) => b.from), cal.to].map(slotOf);
    const [all, theirs, previousUnique] = await Promise.all([
      store.profileViews(ws, owner.id, bounds),
      blocked.length > 0 ? store.profileViews(ws, owner.id, bounds, blocked) : undefined,
      store.distinctViewers(ws, owner.id, lo, mid, blocked),
    ]);
    // The sums, not the series built from them: 3 KB a year where the series' objects are 36 KB.
    return { sums: theirs ? all.map((n, i) => n - theirs[i]!) : all, previousUnique };
  });
  const [{ sums, previousUnique }, uniqueViewers] = await Promise.all([counts, currentViewers(deps, ws, owner.id, cal.from, blocked)]);
  const previousViews = sums[0]!;
  const series = cal.buckets.map((b, i) => ({ ...b, views: sums[i + 1]! }));
  const currentViews = series.reduce((a, b) => a + b.views, 0);

  const breakdowns = q.breakdowns
    ? await keep('breakdowns', versions?.directory != null ? `${versions.projection}/${versions.directory}` : undefined, versions?.directoryMaxAgeMs, () =>
        breakDown(deps, ws, owner, mid, slotOf(cal.to), blocked),
      )
    : null;
  return {
    memberId: owner.id,
    range: q.range,
    granularity: q.granularity,
    timeZone: cal.timeZone,
    current: { from: cal.from, to: cal.to, views: currentViews, uniqueViewers },
    previous: { from: cal.previousFrom, to: cal.from, views: previousViews, uniqueViewers: previousUnique },
    change: { views: changePercent(currentViews, previousViews), uniqueViewers: changePercent(uniqueViewers, previousUnique) },
    series,
    breakdowns,
  };
}

/**
 * Distinct viewers from `from` on: those whose last view is at or after it, which the summary
 * projection (the visitor list's) answers from its per-day histogram of last views without
 * reading a row per viewer: a year of the bench's celebrity (600,000 viewers) costs a sum over
 * 365 days instead of a distinct count over a million slot rows. The current period ends at the
 * next local midnight, which is after every acknowledged visit but one dated within the clock
 * skew allowed (5 minutes) past that midnight: such a viewer counts here a few minutes early.
 */
async function currentViewers(deps: CoreDeps, ws: string, ownerId: string, from: number, blocked: readonly string[]): Promise<number> {
  const page = await deps.store.visits.listViewers({
    workspaceId: ws,
    profileId: ownerId,
    since: from,
    until: null,
    offset: 0,
    limit: 1,
    ...(blocked.length > 0 ? { excludeViewerIds: [...blocked].sort() } : {}),
  });
  return page.total;
}

async function breakDown(
  deps: CoreDeps,
  ws: string,
  owner: Member,
  from: number,
  to: number,
  blocked: readonly string[],
): Promise<Record<BreakdownName, Breakdown>> {
  const viewers = (await deps.store.insights.rangeViewers(ws, owner.id, from, to, blocked)).filter(
    (v): v is typeof v & { viewer: ViewerTraits } => v.viewer !== undefined && v.viewerId !== owner.id,
  );
  const inFull = viewers.filter((v) => countsInBreakdown(v.viewer.visibility, 'degrees')).map((v) => v.viewerId);
  const degreeOf = inFull.length > 0 ? await degreesOf(deps, ws, owner.id, inFull) : () => undefined;
  // A generator, so that no breakdown copies the list of viewers (260,000 for a full-scale celebrity's month).
  const values = (name: BreakdownName, pick: (v: (typeof viewers)[number]) => readonly (string | null | undefined)[]) =>
    buildBreakdown(
      (function* () {
        for (const v of viewers) if (countsInBreakdown(v.viewer.visibility, name)) yield pick(v).filter((x): x is string => typeof x === 'string' && x !== '');
      })(),
    );
  const picks: Record<BreakdownName, (v: (typeof viewers)[number]) => readonly (string | null | undefined)[]> = {
    companies: (v) => [v.viewer.company],
    titles: (v) => [v.viewer.title],
    industries: (v) => [v.viewer.industry],
    locations: (v) => [v.viewer.location],
    sources: (v) => v.sources,
    degrees: (v) => [degreeOf(v.viewerId)],
  };
  // One breakdown per turn of the event loop: over a celebrity's month each is a pass over
  // 260,000 viewers, and the other requests waiting are answered between them.
  const out = {} as Record<BreakdownName, Breakdown>;
  for (const name of Object.keys(picks) as BreakdownName[]) {
    await nextTurn();
    out[name] = values(name, picks[name]);
  }
  return out;
}

/**
 * Connection degrees of every viewer in full of the range. connectionDegrees reads each
 * viewer's list of connections, right for a page of 20 but not for a celebrity's month (a
 * million rows for 50,000 viewers). Here, when the owner's neighbourhood two hops out is
 * smaller than the viewers, it is expanded instead: everyone within three hops of the owner,
 * about 1 + 20 + 400 lists for a member with 20 connections, whatever the number of viewers.
 * Both give the same degrees (the length of the shortest path, up to 3; 3rd+ beyond).
 */
async function degreesOf(deps: CoreDeps, ws: string, ownerId: string, viewerIds: readonly string[]): Promise<(viewerId: string) => Degree | undefined> {
  const store = deps.store.connections;
  const first = new Set((await store.neighbors(ws, [ownerId])).get(ownerId) ?? []);
  const hop = async (from: ReadonlySet<string>) => {
    const out = new Set<string>();
    if (from.size === 0) return out;
    for (const list of (await store.neighbors(ws, [...from])).values()) for (const id of list) out.add(id);
    return out;
  };
  const second = await hop(first);
  if (second.size >= viewerIds.length) {
    const degrees = await connectionDegrees(store, ws, ownerId, viewerIds, 3);
    return (id) => degrees.get(id);
  }
  const third = await hop(second);
  // A lookup in the three sets rather than a map of every viewer (150,000 in full for a celebrity's month).
  return (id) => (id === ownerId ? undefined : first.has(id) ? '1st' : second.has(id) ? '2nd' : third.has(id) ? '3rd' : '3rd+');
}

export interface WorkspaceInsights {
  range: InsightRange;
  granularity: Granularity;
  timeZone: string;
  from: number;
  to: number;
  views: number;
  viewers: number;
  series: (SeriesBucket & { views: number; viewers: number })[];
  topProfiles: { profileId: string; views: number }[];
  sources: { source: VisitSource; views: number }[];
  /** Distinct viewers in the range by how they browse: counts and shares (0 to 1). */
  viewerVisibility: Record<Visibility, { viewers: number; share: number }>;
}

export const TOP_PROFILES = 10;

/** The workspace as a whole (admins): no viewer is named, only counts. */
export async function workspaceInsights(deps: CoreDeps, workspace: Workspace, q: InsightsQuery): Promise<WorkspaceInsights> {
  const cal = calendar(q, deps.clock.now());
  const store = deps.store.insights;
  await catchUp(deps, workspace.id);
  const ws = workspace.id;
  const [from, to] = [slotOf(cal.from), slotOf(cal.to)];
  const edges = [...cal.buckets.map((b) => b.from), cal.to];
  const [views, viewers, topProfiles] = await Promise.all([
    store.workspaceViews(ws, from, to),
    store.workspaceViewers(ws, edges.map(slotOf)),
    store.topProfiles(ws, from, to, TOP_PROFILES),
  ]);
  // Who the range's viewers are now is the entity store's to say (docs/architecture.md): the
  // visit store names them, the member store counts them by visibility; erased ones count nowhere.
  const byVisibility = await deps.store.members.countByVisibility(ws, viewers.viewerIds);
  const sums = sumInto(views, edges);
  const bySource = new Map<VisitSource, number>();
  for (const r of views) bySource.set(r.source, (bySource.get(r.source) ?? 0) + r.views);
  const distinct = VISIBILITIES.reduce((a, v) => a + byVisibility[v], 0);
  const share = (n: number) => (distinct === 0 ? 0 : Math.round((n / distinct) * 1000) / 1000);
  return {
    range: q.range,
    granularity: q.granularity,
    timeZone: cal.timeZone,
    from: cal.from,
    to: cal.to,
    views: sums.reduce((a, b) => a + b, 0),
    viewers: distinct,
    series: cal.buckets.map((b, i) => ({ ...b, views: sums[i]!, viewers: viewers.perBucket[i]! })),
    topProfiles,
    sources: [...bySource].map(([source, n]) => ({ source, views: n })).sort((a, b) => b.views - a.views || (a.source < b.source ? -1 : 1)),
    viewerVisibility: Object.fromEntries(VISIBILITIES.map((v) => [v, { viewers: byVisibility[v], share: share(byVisibility[v]) }])) as WorkspaceInsights['viewerVisibility'],
  };
}
