/**
 * The console's overview of the workspace: views and distinct viewers over a range, the daily
 * chart, the most viewed profiles and where views came from, all from `workspaceInsights` (the
 * same use case as GET /v1/insights), counts only.
 */
import { INSIGHT_RANGES, workspaceInsights, type CoreDeps, type InsightRange, type Workspace } from '../../core/index.js';
import { html, type Html } from '../html.js';
import { breakdownSection, trendSection } from '../embed-page.js';
import { TREND_DAYS, whenAvailable } from '../embed-insights.js';
import { ADMIN_PATH } from './session.js';

export async function workspaceOverview(deps: CoreDeps, workspace: Workspace, days: number): Promise<Html> {
  const range = (Object.keys(INSIGHT_RANGES) as InsightRange[]).find((r) => INSIGHT_RANGES[r] === days)!;
  const r = await whenAvailable(() => workspaceInsights(deps, workspace, { range, granularity: 'day', tz: 'UTC' }));
  if (!r) return html`<p class="note">The workspace's insights are being built from the visit log; the chart appears when they have caught up.</p>`;
  const trend = trendSection(
    {
      points: r.series.map((b) => [Math.floor(b.from / 1000), b.views]),
      days,
      caption: `${r.views} views by ${r.viewers} distinct viewers in the past ${days} days (UTC days)`,
      ranges: TREND_DAYS.map((d) => ({ days: d, href: `${ADMIN_PATH}?days=${d}` })),
    },
    'Views in the workspace',
  );
  const sources = r.sources.filter((s) => s.views > 0);
  return html`${trend}
${sources.length > 0 ? breakdownSection({ title: 'Where views came from', rows: sources.map((s) => ({ label: s.source.replace('_', ' '), count: s.views })) }, 0) : ''}
${r.topProfiles.length > 0 ? html`<h2>Most viewed profiles</h2><div class="table-scroll"><table class="data" id="top-profiles"><thead><tr><th scope="col">Member</th><th scope="col">Views</th></tr></thead><tbody>${r.topProfiles.map(
    (p) => html`<tr><td><a href="${ADMIN_PATH}/members?q=${encodeURIComponent(p.profileId)}">${p.profileId}</a></td><td>${p.views}</td></tr>`,
  )}</tbody></table></div>` : ''}`;
}
