/**
 * How a counted visit changes a viewer's summary of one profile (docs/visit-log.md, "The summary
 * projection"): the count adds one, the first view is the earliest, the last view the latest,
 * and its source is that of the latest view; a visit at the same time as the last view replaces
 * its source, since it was recorded later (a larger log position). The SQL that builds
 * summaries in bulk (the SQLite fold, the PostgreSQL rebuild) states the same rule; the
 * projection harness checks that they agree.
 */
import type { ViewerSummary, VisitSource } from '../types.js';

export interface ViewSummary {
  count: number;
  first: number;
  last: number;
  lastSource: VisitSource;
}

/** The summary after one more counted visit, applied in log order; `null` means no view yet. */
export function mergeView(summary: ViewSummary | null, viewedAt: number, source: VisitSource): ViewSummary {
  if (summary === null || summary.count === 0) return { count: 1, first: viewedAt, last: viewedAt, lastSource: source };
  const newer = viewedAt >= summary.last;
  return {
    count: summary.count + 1,
    first: Math.min(summary.first, viewedAt),
    last: newer ? viewedAt : summary.last,
    lastSource: newer ? source : summary.lastSource,
  };
}

/**
 * A viewer's row from the summary of their earlier views and that of their later ones (folded
 * and pending, on SQLite): the rule of `mergeView` applied to the later views after the earlier
 * ones, so the later part's last view wins a tie.
 */
export function mergeLater(earlier: ViewerSummary, later: Omit<ViewerSummary, 'viewerId'>): ViewerSummary {
  return {
    viewerId: earlier.viewerId,
    viewCount: earlier.viewCount + later.viewCount,
    firstViewedAt: Math.min(earlier.firstViewedAt, later.firstViewedAt),
    lastViewedAt: Math.max(earlier.lastViewedAt, later.lastViewedAt),
    lastSource: later.lastViewedAt >= earlier.lastViewedAt ? later.lastSource : earlier.lastSource,
  };
}
