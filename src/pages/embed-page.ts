/**
 * The member page's markup (docs/pages.md). It renders only what `listViewers` returned, the
 * same reading rules as every API: a hidden entry has no identifier to print, so none can leak.
 */
import { viewedAgo, type Member, type ViewerPage, type VisibleViewer, type Workspace } from '../core/index.js';
import { ANONYMOUS_AVATAR_PATH } from '../http/plugins/assets.js';
import { html, type Html } from './html.js';
import { shell } from './layout.js';

export interface TrendView {
  /** [epoch seconds at the day's start (UTC), views that day], oldest first. */
  points: Array<[number, number]>;
  days: number;
  caption: string;
  /** The range buttons: days, the link without script, the JSON with it; only those the plan allows. */
  ranges: Array<{ days: number; href: string; src?: string }>;
}

export interface BreakdownView {
  title: string;
  rows: Array<{ label: string; count: number }>;
}

export interface EmbedView {
  workspace: Workspace;
  owner: Member;
  page: ViewerPage;
  now: number;
  historyDays: number;
  /** The next rows: as an HTML fragment (script) and as a whole page (no script); null at the end. */
  next: { rows: string; page: string } | null;
  trend?: TrendView;
  breakdowns?: BreakdownView[];
  /** The live feed's URL for this page, when the server has one. */
  liveSrc?: string | null;
}

const SOURCE_TEXT: Record<VisibleViewer['lastSource'], string> = {
  search: 'from search',
  feed: 'from the feed',
  profile: 'from a profile',
  similar_profiles: 'from similar profiles',
  group: 'from a group',
  direct: 'directly',
  external: 'from outside',
  other: 'from elsewhere',
};

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return (parts[0]?.[0] ?? '?').toUpperCase() + (parts.length > 1 ? (parts[parts.length - 1]![0] ?? '').toUpperCase() : '');
}

function isHttps(url: string | null | undefined): url is string {
  return typeof url === 'string' && /^https:\/\/[^\s"'<>]+$/.test(url);
}

function hiddenWhy(v: VisibleViewer): string {
  if (v.appearance === 'private') return 'Browses in private mode';
  if (v.blurred) return 'Premium shows who this is';
  return 'Shows only one detail when browsing';
}

/** One viewer, as a list item; also what "load more" appends. */
export function viewerRow(v: VisibleViewer, now: number): Html {
  const shown = v.appearance === 'full' && v.identity !== null;
  const time = new Date(v.lastViewedAt).toISOString();
  const ago = viewedAgo(v.lastViewedAt, now, shown ? 'minute' : 'hour');
  const views = v.viewCount === 1 ? '1 view' : `${v.viewCount} views`;
  const kind = shown ? 'full' : v.appearance;
  let avatar: Html;
  if (shown && isHttps(v.identity!.imageUrl)) avatar = html`<img src="${v.identity!.imageUrl}" alt="" width="44" height="44" loading="lazy">`;
  else if (shown) avatar = html`${initials(v.label)}`;
  else avatar = html`<img src="${ANONYMOUS_AVATAR_PATH}" alt="" width="44" height="44">`;
  const name = shown && isHttps(v.identity!.profileUrl)
    ? html`<a class="label" href="${v.identity!.profileUrl}" target="_blank" rel="noopener noreferrer">${v.label}</a>`
    : html`<span class="label">${v.label}</span>`;
  return html`<li class="viewer viewer--${kind}${v.blurred ? ' viewer--blurred' : ''}">
<span class="avatar" aria-hidden="true">${avatar}</span>
<div class="who">${name}${shown && v.degree && v.degree !== '3rd+' ? html` <span class="badge" title="Connection degree">${v.degree}</span>` : ''}
${shown && v.identity!.headline ? html`<span class="headline">${v.identity!.headline}</span>` : ''}${shown ? '' : html`<span class="hidden-why">${hiddenWhy(v)}</span>`}</div>
<div class="when"><time datetime="${time}">${ago}</time><span class="count">${views}</span><span class="visually-hidden">, last ${SOURCE_TEXT[v.lastSource]}</span></div>
</li>
`;
}

export function viewerRows(viewers: readonly VisibleViewer[], now: number): string {
  return html`${viewers.map((v) => viewerRow(v, now))}`.value;
}

function freeNote(v: EmbedView): Html | '' {
  if (v.owner.plan !== 'free') return '';
  const s = v.workspace.settings;
  return html`<p class="note" id="plan-note"><strong>You are on the free plan:</strong> you see your ${s.freeFullViewers} most recent viewers in full and ${s.freeHistoryDays} days of history. Premium shows every viewer who browses openly, ${s.premiumHistoryDays} days of history, and where your views come from.</p>`;
}

export function trendSection(t: TrendView, title = 'Profile views'): Html {
  const total = t.points.reduce((n, p) => n + p[1], 0);
  return html`<section aria-labelledby="trend-h" class="trend">
<h2 id="trend-h">${title}</h2>
<nav class="ranges" aria-label="Chart range">${t.ranges.map(
    (r) => html`<a href="${r.href}"${r.src ? html` data-src="${r.src}"` : ''} aria-current="${r.days === t.days ? 'true' : 'false'}">${r.days} days</a>`,
  )}</nav>
<p id="trend-caption" class="summary">${t.caption}</p>
<div id="trend-chart" class="chart" role="img" aria-label="${`Chart of profile views per day: ${total} views in ${t.days} days`}"></div>
<script type="application/json" id="trend-points">${JSON.stringify(t.points).replace(/</g, '\\u003c')}</script>
<details><summary>Views per day as a table</summary><div class="table-scroll"><table class="data"><thead><tr><th scope="col">Day</th><th scope="col">Views</th></tr></thead><tbody>${t.points
    .filter((p) => p[1] > 0)
    .map((p) => html`<tr><td>${new Date(p[0] * 1000).toISOString().slice(0, 10)}</td><td>${p[1]}</td></tr>`)}</tbody></table></div></details>
</section>
`;
}

export function breakdownSection(b: BreakdownView, i: number): Html {
  const max = Math.max(1, ...b.rows.map((r) => r.count));
  return html`<section aria-labelledby="bd-${i}">
<h2 id="bd-${i}">${b.title}</h2>
<div class="bars" role="list">${b.rows.map(
    (r) => html`<span role="listitem" class="visually-hidden">${r.label}: ${r.count}</span><span aria-hidden="true">${r.label}</span><svg aria-hidden="true" viewBox="0 0 100 14" preserveAspectRatio="none"><rect x="0" y="1" height="12" width="${((r.count / max) * 100).toFixed(1)}"></rect></svg><span class="n" aria-hidden="true">${r.count}</span>`,
  )}</div>
</section>
`;
}

export function embedPage(v: EmbedView): string {
  const s = v.workspace.settings;
  const name = s.pageName ?? v.workspace.name;
  const total = v.page.total;
  const body = html`<header class="brand">${isHttps(s.logoUrl) ? html`<img src="${s.logoUrl}" alt="">` : ''}<span class="brand-name">${name}</span>
${v.liveSrc ? html`<span id="live" class="badge badge--live" data-src="${v.liveSrc}" hidden></span>` : ''}</header>
<main id="main" class="wrap">
<h1>Who viewed your profile</h1>
<p class="summary"><strong>${total}</strong> ${total === 1 ? 'person' : 'people'} viewed your profile in the past ${v.historyDays} days</p>
${freeNote(v)}
${v.trend ? trendSection(v.trend) : ''}
${(v.breakdowns ?? []).map(breakdownSection)}
<section aria-labelledby="viewers-h">
<h2 id="viewers-h">Viewers, newest first</h2>
${total === 0 ? html`<p>No one has viewed your profile in this period yet.</p>` : ''}
<ol class="viewers" id="viewers">
${v.page.viewers.map((x) => viewerRow(x, v.now))}</ol>
${v.next ? html`<a class="button button--quiet more" id="more" href="${v.next.page}" data-rows="${v.next.rows}">Load more viewers</a>` : ''}
</section>
<p id="status" class="visually-hidden" role="status" aria-live="polite"></p>
</main>`;
  return shell({
    title: `Who viewed your profile · ${name}`,
    accentColor: s.accentColor,
    body,
    scripts: v.trend ? ['uplot.js', 'embed.js'] : ['embed.js'],
    styles: v.trend ? ['uplot.css'] : [],
  });
}
