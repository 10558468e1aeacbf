/**
 * The rules of insights (docs/insights.md, docs/rules.md#aggregates), in one place: who counts
 * in which breakdown, when a bucket may be shown, and what each plan may ask for. Backends only
 * count; the use case (use-cases/insights.ts) applies these.
 */
import { AppError } from '../errors.js';
import type { Member, Visibility, WorkspaceSettings } from '../types.js';
import { historyDays } from './reading-rules.js';

export const BREAKDOWNS = ['companies', 'titles', 'industries', 'locations', 'sources', 'degrees'] as const;
export type BreakdownName = (typeof BREAKDOWNS)[number];

/**
 * What a viewer shown by characteristics reveals of themselves: their label may name their
 * company, industry or location ("Someone at ...", "Someone in ..."), never their title, how they
 * came or how they are connected. A private viewer reveals nothing; a viewer in full, all.
 */
const REVEALED_BY_CHARACTERISTICS: ReadonlySet<BreakdownName> = new Set(['companies', 'industries', 'locations']);

/** Whether a viewer of this visibility counts in this breakdown. Private viewers count in totals only. */
export function countsInBreakdown(visibility: Visibility, breakdown: BreakdownName): boolean {
  if (visibility === 'full') return true;
  if (visibility === 'characteristics') return REVEALED_BY_CHARACTERISTICS.has(breakdown);
  return false;
}

/** A bucket is shown only with at least this many distinct viewers in it; smaller ones go to "other". */
export const MIN_BUCKET_VIEWERS = 3;
/** Buckets shown per breakdown, the largest first. */
export const TOP_BUCKETS = 10;

export interface Breakdown {
  /** At most TOP_BUCKETS, each with at least MIN_BUCKET_VIEWERS distinct viewers, most viewers first, ties by value. */
  buckets: { value: string; viewers: number }[];
  /** Distinct viewers counted in this breakdown and in none of the buckets shown. */
  other: number;
}

/**
 * A breakdown from each counted viewer's values (one for a company, several for the sources
 * they came through). A viewer without a value (no company given) is in no bucket and not in
 * "other" either. Buckets under the threshold, and those beyond the top ten, are folded into
 * "other", so a small group of viewers, possibly one person, is never named.
 */
export function buildBreakdown(valuesPerViewer: Iterable<readonly string[]>): Breakdown {
  const counts = new Map<string, number>();
  // Viewers by their set of values, for "other": few sets (one value each, or a handful of
  // sources), where a celebrity's month has hundreds of thousands of viewers.
  const sets = new Map<string, { values: readonly string[]; viewers: number }>();
  for (const values of valuesPerViewer) {
    if (values.length === 0) continue;
    // One value (every breakdown but sources, for almost every viewer) is its own set; more are
    // keyed joined by NUL, which no stored text holds (refused on input), so keys never collide.
    const distinct = values.length === 1 ? values : [...new Set(values)].sort();
    const key = distinct.length === 1 ? distinct[0]! : distinct.join('\u0000');
    const set = sets.get(key);
    if (set) set.viewers++;
    else sets.set(key, { values: distinct, viewers: 1 });
    for (const v of distinct) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const buckets = [...counts]
    .filter(([, n]) => n >= MIN_BUCKET_VIEWERS)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, TOP_BUCKETS)
    .map(([value, n]) => ({ value, viewers: n }));
  const shown = new Set(buckets.map((b) => b.value));
  let other = 0;
  for (const { values, viewers } of sets.values()) if (!values.some((v) => shown.has(v))) other += viewers;
  return { buckets, other };
}

export const INSIGHT_RANGES = { '7d': 7, '30d': 30, '90d': 90, '365d': 365 } as const;
export type InsightRange = keyof typeof INSIGHT_RANGES;

/**
 * A range is whole local days, today included; it may reach back no further than the owner's
 * plan lets them look (docs/rules.md#plans). Refused with 403 naming the plan that would allow
 * it, when one of this workspace's plans does.
 */
export function assertRangeAllowed(owner: Pick<Member, 'plan'>, settings: WorkspaceSettings, range: InsightRange): void {
  const days = INSIGHT_RANGES[range];
  const allowed = historyDays(owner, settings);
  if (days <= allowed) return;
  const premium = settings.premiumHistoryDays >= days;
  throw new AppError(
    'forbidden',
    premium && owner.plan !== 'premium'
      ? `range ${range} reaches beyond the ${owner.plan} plan's ${allowed} days of history: the premium plan (${settings.premiumHistoryDays} days) allows it`
      : `range ${range} reaches beyond the ${allowed} days of history of every plan of this workspace`,
    { field: 'range', plan: owner.plan, historyDays: allowed, ...(premium ? { requiredPlan: 'premium' } : {}) },
  );
}

/** Breakdowns of viewers are a premium feature; totals, change and series are for every plan. */
export function assertMayBreakDown(owner: Pick<Member, 'plan'>): void {
  if (owner.plan === 'premium') return;
  throw new AppError('forbidden', 'breakdowns of viewers (companies, titles, industries, locations, sources, degrees) need the premium plan', {
    field: 'breakdowns',
    plan: owner.plan,
    requiredPlan: 'premium',
  });
}

/** Change against the previous period in percent, one decimal; null when the previous period is empty. */
export function changePercent(current: number, previous: number): number | null {
  if (previous === 0) return null;
  return Math.round(((current - previous) / previous) * 1000) / 10;
}
