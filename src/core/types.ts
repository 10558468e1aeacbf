/** The domain's vocabulary. Everything here is plain data: no driver, no HTTP, no environment. */

export const VISIT_SOURCES = [
  'search',
  'feed',
  'profile',
  'similar_profiles',
  'group',
  'direct',
  'external',
  'other',
] as const;
export type VisitSource = (typeof VISIT_SOURCES)[number];

/** How a member appears to the people whose profiles they view. */
export const VISIBILITIES = ['full', 'characteristics', 'private'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export const PLANS = ['free', 'premium'] as const;
export type Plan = (typeof PLANS)[number];

export const ROLES = ['admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

export const DEGREES = ['1st', '2nd', '3rd', '3rd+'] as const;
export type Degree = (typeof DEGREES)[number];

export interface WorkspaceSettings {
  /** Repeats by one viewer of one profile closer than this count once. */
  dedupWindowMs: number;
  /** How far back a free member sees. */
  freeHistoryDays: number;
  /** How far back a premium member sees. */
  premiumHistoryDays: number;
  /** How many of the most recent viewers a free member sees in full; the rest are blurred. */
  freeFullViewers: number;
  /** Visits older than this are refused on write and purged. */
  retentionDays: number;
  /** Prefix of the `entity_urn`/`entityUrn` fields of the LinkedIn-shaped APIs. */
  urnPrefix: string;
  /** The name the member page shows (docs/pages.md); null shows the workspace's name. */
  pageName: string | null;
  /** The member page's accent colour, `#rrggbb`. */
  accentColor: string;
  /** An https logo the member page shows beside its name; null shows none. */
  logoUrl: string | null;
  /** Origins allowed to frame the member page (CSP frame-ancestors); empty means none may. */
  framingOrigins: string[];
}

export const DEFAULT_SETTINGS: Readonly<WorkspaceSettings> = Object.freeze({
  dedupWindowMs: 30 * 60_000,
  freeHistoryDays: 90,
  premiumHistoryDays: 365,
  freeFullViewers: 5,
  retentionDays: 365,
  urnPrefix: 'urn:li:fsd_profile:',
  pageName: null,
  accentColor: '#0a66c2',
  logoUrl: null,
  framingOrigins: [],
});

export interface Workspace {
  id: string;
  name: string;
  settings: WorkspaceSettings;
  createdAt: number;
}

/** Profile fields a platform may send; every one is optional except the id. */
export interface MemberProfile {
  name?: string | null;
  headline?: string | null;
  /** Job title, on its own (the headline is free text); insights break viewers down by it. */
  title?: string | null;
  imageUrl?: string | null;
  company?: string | null;
  industry?: string | null;
  location?: string | null;
  publicIdentifier?: string | null;
  profileUrl?: string | null;
  plan?: Plan;
  visibility?: Visibility;
}

export interface MemberInput extends MemberProfile {
  id: string;
}

export interface Member {
  id: string;
  name: string | null;
  headline: string | null;
  /** Job title (optional); insights break viewers down by it. */
  title: string | null;
  imageUrl: string | null;
  company: string | null;
  industry: string | null;
  location: string | null;
  publicIdentifier: string | null;
  profileUrl: string | null;
  plan: Plan;
  visibility: Visibility;
  createdAt: number;
  updatedAt: number;
}

export interface VisitInput {
  /** The platform's id for this view; a retry with the same id is never counted twice. */
  id?: string;
  profileId: string;
  viewerId: string;
  /** Epoch milliseconds; the server's clock when absent. */
  viewedAt?: number;
  source?: VisitSource;
  /** Inline profile data: the member is upserted, so it need not exist beforehand. */
  profile?: MemberProfile;
  viewer?: MemberProfile;
}

/** A visit that passed validation, ready for the store. */
export interface AcceptedVisit {
  clientId: string | null;
  profileId: string;
  viewerId: string;
  viewedAt: number;
  source: VisitSource;
}

export type RecordStatus = 'recorded' | 'deduplicated' | 'replayed';

export interface RecordOutcome {
  status: RecordStatus;
  /** The client's id when it sent one, else the stored visit's id (empty when deduplicated). */
  visitId: string;
}

/** One row of the per-(profile, viewer) summary the visitor list reads. */
export interface ViewerSummary {
  viewerId: string;
  viewCount: number;
  firstViewedAt: number;
  lastViewedAt: number;
  lastSource: VisitSource;
}

export interface ApiKey {
  id: string;
  workspaceId: string;
  role: Role;
  /** The member a `member` key acts for; null for admin keys. */
  memberId: string | null;
  name: string | null;
  /** Remaining credits; null means unlimited. */
  credits: number | null;
  createdAt: number;
  revokedAt: number | null;
}
