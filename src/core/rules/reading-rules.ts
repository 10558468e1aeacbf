/**
 * The reading rules (docs/rules.md#reading), in one place. Every surface (native API, the three
 * compatible APIs, and later insights, webhooks, exports, dashboard) renders viewers through
 * `renderViewer`, so a privacy or plan rule cannot differ between them.
 */
import { AppError } from '../errors.js';
import { DAY_MS } from '../clock.js';
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
  /** Company/industry/location, for `full` and `characteristics` viewers only (breakdowns use these). */
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
 * The appearance of the viewer at `position` (0-based, over the whole list, not the page) as
 * seen by `owner`: the viewer's own choice, lowered to `characteristics` beyond the free
 * plan's first N viewers.
 */
export function appearanceFor(
  viewerVisibility: Visibility,
  owner: Pick<Member, 'plan'>,
  position: number,
  settings: WorkspaceSettings,
): { appearance: Visibility; blurred: boolean } {
  const beyondFree = owner.plan === 'free' && position >= settings.freeFullViewers;
  if (beyondFree && viewerVisibility === 'full') return { appearance: 'characteristics', blurred: true };
  return { appearance: viewerVisibility, blurred: beyondFree };
}

export function renderViewer(
  summary: ViewerSummary,
  viewer: Member,
  owner: Pick<Member, 'plan'>,
  position: number,
  settings: WorkspaceSettings,
  degree: Degree | null,
): VisibleViewer {
  const { appearance, blurred } = appearanceFor(viewer.visibility, owner, position, settings);
  const counts = {
    viewCount: summary.viewCount,
    firstViewedAt: summary.firstViewedAt,
    lastViewedAt: summary.lastViewedAt,
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
      traits: { company: viewer.company, industry: viewer.industry, location: viewer.location },
      degree: null,
      ...counts,
    };
  }
  return { appearance, blurred, identity: null, label: ANONYMOUS_LABEL, traits: null, degree: null, ...counts };
}
