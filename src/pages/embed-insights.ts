/**
 * The member page's chart and breakdowns, from the same use case as GET
 * /v1/members/:id/insights (`memberInsights`): the chart's points are that API's series (days in
 * UTC), the bars its breakdowns (premium only, with its small-group rule). Range buttons offer
 * the ranges the member's plan allows.
 */
import { AppError, historyDays, INSIGHT_RANGES, memberInsights, type CoreDeps, type InsightRange, type Member, type Workspace } from '../core/index.js';
import type { BreakdownView, TrendView } from './embed-page.js';

export const TREND_DAYS = [7, 30, 90, 365] as const;
export const DEFAULT_TREND_DAYS = 30;

const TITLES: Record<string, string> = {
  companies: 'Where your viewers work',
  titles: 'What they do',
  industries: 'Their industries',
  locations: 'Where they are',
  sources: 'How they found you',
  degrees: 'How you are connected',
};

const SOURCE_LABELS: Record<string, string> = {
  search: 'Search',
  feed: 'Feed',
  profile: 'Another profile',
  similar_profiles: 'Similar profiles',
  group: 'Groups',
  direct: 'Direct',
  external: 'Outside',
  other: 'Elsewhere',
};

/** The ranges this owner's plan allows; the requested one if allowed, else 30 days or the longest allowed. */
export function trendRanges(owner: Pick<Member, 'plan'>, workspace: Workspace, requested?: number): { allowed: number[]; days: number } {
  const max = historyDays(owner, workspace.settings);
  const allowed = TREND_DAYS.filter((d) => d <= max);
  const days = requested && allowed.includes(requested as (typeof TREND_DAYS)[number]) ? requested : allowed.includes(DEFAULT_TREND_DAYS) ? DEFAULT_TREND_DAYS : (allowed.at(-1) ?? 0);
  return { allowed, days };
}

function rangeOf(days: number): InsightRange {
  return (Object.keys(INSIGHT_RANGES) as InsightRange[]).find((r) => INSIGHT_RANGES[r] === days)!;
}

export interface PageInsights {
  trend?: TrendView;
  breakdowns?: BreakdownView[];
}

export async function pageInsights(
  deps: CoreDeps,
  workspace: Workspace,
  owner: Member,
  days: number | undefined,
  links: { page(days: number): string; json(days: number): string },
): Promise<PageInsights> {
  const { allowed, days: chosen } = trendRanges(owner, workspace, days);
  if (allowed.length === 0) return {};
  const premium = owner.plan === 'premium';
  const r = await whenAvailable(() => memberInsights(deps, workspace, { ownerId: owner.id, range: rangeOf(chosen), granularity: 'day', tz: 'UTC', breakdowns: premium }));
  // Insights still being built (a 503 on the API): the page shows the list without the chart.
  if (!r) return {};
  const trend: TrendView = {
    points: r.series.map((b) => [Math.floor(b.from / 1000), b.views]),
    days: chosen,
    caption: trendCaption(chosen, r.current.views, r.change.views),
    ranges: allowed.map((d) => ({ days: d, href: links.page(d), src: links.json(d) })),
  };
  const breakdowns: BreakdownView[] = [];
  if (r.breakdowns) {
    for (const [name, b] of Object.entries(r.breakdowns)) {
      if (b.buckets.length === 0) continue;
      const rows = b.buckets.map((x) => ({ label: name === 'sources' ? (SOURCE_LABELS[x.value] ?? x.value) : x.value, count: x.viewers }));
      if (b.other > 0) rows.push({ label: 'Other', count: b.other });
      breakdowns.push({ title: TITLES[name] ?? name, rows });
    }
  }
  return { trend, breakdowns };
}

export function trendCaption(days: number, views: number, change: number | null): string {
  const base = `${views} ${views === 1 ? 'view' : 'views'} in the past ${days} days`;
  if (change === null) return base;
  return `${base} (${change > 0 ? '+' : ''}${change}% on the ${days} days before)`;
}

/** The use case's answer, or undefined while the insights are being built (its 503). */
export async function whenAvailable<T>(f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof AppError && err.code === 'unavailable') return undefined;
    throw err;
  }
}

/** The JSON the range buttons load; null: a range beyond the plan; undefined: insights being built. */
export async function trendJson(deps: CoreDeps, workspace: Workspace, owner: Member, days: number) {
  const { allowed } = trendRanges(owner, workspace, days);
  if (!allowed.includes(days as (typeof TREND_DAYS)[number])) return null;
  const r = await whenAvailable(() => memberInsights(deps, workspace, { ownerId: owner.id, range: rangeOf(days), granularity: 'day', tz: 'UTC', breakdowns: false }));
  if (!r) return undefined;
  return { days, caption: trendCaption(days, r.current.views, r.change.views), points: r.series.map((b) => [Math.floor(b.from / 1000), b.views]) };
}
