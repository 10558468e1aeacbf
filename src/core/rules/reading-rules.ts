/**
 * The reading rules (docs/rules.md#reading), in one place. Every surface (native API, the three
 * compatible APIs, and later insights, webhooks, exports, dashboard) renders viewers through
 * `renderViewer`, so a privacy or plan rule cannot differ between them.
 */
import { AppError } from '../errors.js';
import { DAY_MS, HOUR_MS } from '../clock.js';
import type { Degree, Member, ViewerSummary, Visibility, WorkspaceSettings } from '../types.js';

/** What an owner may see of one viewer; presenters read nothing else. */
export interface VisibleViewer {
  /** How the viewer is shown: their own choice, lowered to `characteristics` when blurred by the owner's plan. */
  appearance: Visibility;
  /** True when the owner's plan, not the viewer's choice, hides this viewer's identity. */
  blurred: boolean;
  /** The viewer's identity; present only when `appearance` is `full`. */
  identity: {
    id: string;
    name: string | null;
    headline: string | null;
    imageUrl: string | null;
    publicIdentifier: string | null;
    profileUrl: string | null;
    company: string | null;
    industry: string | null;
    location: string | null;
  } | null;
  /** Display text: the name, "Someone at ...", or "Anonymous member". */
  label: string;
  /**
   * Company/industry/location of a viewer shown in full; of one shown by characteristics only
   * the one its label names (the others null); null for a private viewer.
   */
  traits: { company: string | null; industry: string | null; location: string | null } | null;
  /** Connection degree, only for viewers shown in full. */
  degree: Degree | null;
  viewCount: number;
  firstViewedAt: number;
  lastViewedAt: number;
  lastSource: ViewerSummary['lastSource'];
}

export const ANONYMOUS_LABEL = 'Anonymous member';

export function characteristicsLabel(m: Pick<Member, 'company' | 'industry' | 'location'>): string {
  if (m.company) return `Someone at ${m.company}`;
  if (m.industry) return `Someone in ${m.industry}`;
  if (m.location) return `Someone in ${m.location}`;
  return 'A member';
}

/** How many days back the owner may look. */
export function historyDays(owner: Pick<Member, 'plan'>, settings: WorkspaceSettings): number {
  return owner.plan === 'premium' ? settings.premiumHistoryDays : settings.freeHistoryDays;
}

/** The earliest instant the owner may see, given the plan. */
export function historyHorizon(owner: Pick<Member, 'plan'>, settings: WorkspaceSettings, now: number): number {
  return now - historyDays(owner, settings) * DAY_MS;
}

/** Reciprocity (docs/rules.md#reciprocity): a free member who browses privately does not get to see who viewed them. */
export function assertMaySeeViewers(owner: Pick<Member, 'plan' | 'visibility'>): void {
  if (owner.plan === 'free' && owner.visibility === 'private') {
    throw new AppError(
      'private_mode_forbidden',
      'Members browsing in private mode need a premium plan to see who viewed their profile',
    );
  }
}

/**
 * The appearance of the viewer of recency rank `rank` as seen by `owner`: the viewer's own
 * choice, lowered to `characteristics` beyond the free plan's first N viewers. The rank is
 * 0-based among ALL the owner's viewers within the plan horizon, most recent first: never a
 * position in a page or in a narrower range a request asked for (list-viewers.ts works it out).
 */
export function appearanceFor(
  viewerVisibility: Visibility,
  owner: Pick<Member, 'plan'>,
  rank: number,
  settings: WorkspaceSettings,
): { appearance: Visibility; blurred: boolean } {
  const beyondFree = owner.plan === 'free' && rank >= settings.freeFullViewers;
  if (beyondFree && viewerVisibility === 'full') return { appearance: 'characteristics', blurred: true };
  return { appearance: viewerVisibility, blurred: beyondFree };
}

/**
 * How many of the most recent viewers `appearanceFor` tells apart by rank: every rank at or past
 * it renders alike (a free owner's viewers past the first few; any rank for premium). A surface
 * that renders one viewer needs their rank only below this.
 */
export function ranksThatMatter(owner: Pick<Member, 'plan'>, settings: WorkspaceSettings): number {
  return owner.plan === 'free' ? settings.freeFullViewers : 0;
}

/** Times of a hidden entry are floored to this: no finer, so they cannot be matched to a visit. */
export const HIDDEN_TIME_GRANULARITY_MS = HOUR_MS;

/** The start of the hour `t` falls in (epoch ms; hours are whole in UTC and every offset of them). */
export function floorToHour(t: number): number {
  return t - (t % HOUR_MS);
}

/**
 * The label's one characteristic of a viewer shown by characteristics, the others null: company,
 * industry and location together would single a person out where one of them does not.
 */
export function labelTraits(m: Pick<Member, 'company' | 'industry' | 'location'>): NonNullable<VisibleViewer['traits']> {
  if (m.company) return { company: m.company, industry: null, location: null };
  if (m.industry) return { company: null, industry: m.industry, location: null };
  if (m.location) return { company: null, industry: null, location: m.location };
  return { company: null, industry: null, location: null };
}

/**
 * One viewer as `owner` may see them, given their recency `rank` (see `appearanceFor`). A hidden
 * entry (private, characteristics, or blurred by the plan) carries nothing a member could match
 * against someone they know (docs/compatibility.md, "Hidden entries"): no identity, at most the
 * one characteristic of its label, and its times floored to the hour. Every surface renders from
 * this, so none can show more.
 */
export function renderViewer(
  summary: ViewerSummary,
  viewer: Member,
  owner: Pick<Member, 'plan'>,
  rank: number,
  settings: WorkspaceSettings,
  degree: Degree | null,
): VisibleViewer {
  const { appearance, blurred } = appearanceFor(viewer.visibility, owner, rank, settings);
  const shown = appearance === 'full';
  const counts = {
    viewCount: summary.viewCount,
    firstViewedAt: shown ? summary.firstViewedAt : floorToHour(summary.firstViewedAt),
    lastViewedAt: shown ? summary.lastViewedAt : floorToHour(summary.lastViewedAt),
    lastSource: summary.lastSource,
  };
  if (appearance === 'full') {
    return {
      appearance,
      blurred,
      identity: {
        id: viewer.id,
        name: viewer.name,
        headline: viewer.headline,
        imageUrl: viewer.imageUrl,
        publicIdentifier: viewer.publicIdentifier,
        profileUrl: viewer.profileUrl,
        company: viewer.company,
        industry: viewer.industry,
        location: viewer.location,
      },
      label: viewer.name ?? viewer.publicIdentifier ?? 'A member',
      traits: { company: viewer.company, industry: viewer.industry, location: viewer.location },
      degree,
      ...counts,
    };
  }
  if (appearance === 'characteristics') {
    return {
      appearance,
      blurred,
      identity: null,
      label: characteristicsLabel(viewer),
      traits: labelTraits(viewer),
      degree: null,
      ...counts,
    };
  }
  return { appearance, blurred, identity: null, label: ANONYMOUS_LABEL, traits: null, degree: null, ...counts };
}
