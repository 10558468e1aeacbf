/**
 * What insights read (docs/insights.md): two projections of the visit log, kept by each backend.
 *
 * - Views per profile per slot: a count per (profile, 15-minute slot). Totals, the previous
 *   period and the day/week series sum at most a year of slots (35,040 rows for a profile
 *   viewed every quarter of an hour), whatever the number of visits.
 * - Viewers per profile per slot: a count per (profile, slot, viewer, source). Distinct viewers,
 *   breakdowns and what a blocked viewer contributed are read from it.
 *
 * Slots are 15 minutes because every time zone in use is offset from UTC by a multiple of 15
 * minutes: a local midnight in any IANA zone is a slot boundary, so a day or a week in the
 * requested zone is a whole number of slots and every figure is exact.
 *
 * The projections hold visits only: who a viewer is (visibility, company, title...) is read
 * from the members' cards when read, so a member who changes their profile or visibility is
 * counted as they are now, and an erased member (whose rows the erase removes) is not counted.
 * The cards are the entity store's (docs/architecture.md): a backend holding both may read them
 * with the rows (`RangeViewer.viewer`), a visit store apart returns ids and the composition or
 * the core asks the entity store.
 */
import type { Member, Visibility, VisitSource } from './types.js';

export const INSIGHT_SLOT_MS = 15 * 60_000;

/** The projection's name (checkpoints, `profile-visitors rebuild insights`). */
export const INSIGHTS_PROJECTION = 'insights';

/** The slot an instant falls in. */
export const slotOf = (t: number): number => Math.floor(t / INSIGHT_SLOT_MS);

export interface SlotViews {
  slot: number;
  views: number;
}

export type ViewerTraits = Pick<Member, 'visibility' | 'company' | 'title' | 'industry' | 'location'>;

/**
 * Builds viewers' traits with one string per distinct value: a range's cards share a few
 * thousand companies, titles, industries and places, where a celebrity's month has 260,000
 * viewers (one string per viewer was 40 MB of it). One per read.
 */
export function viewerTraitsBuilder(): (visibility: string, company: string | null, title: string | null, industry: string | null, location: string | null) => ViewerTraits {
  const strings = new Map<string, string>();
  const shared = (v: string | null) => (v === null ? null : (strings.get(v) ?? (strings.set(v, v), v)));
  return (visibility, company, title, industry, location) => ({
    visibility: shared(visibility) as Visibility,
    company: shared(company),
    title: shared(title),
    industry: shared(industry),
    location: shared(location),
  });
}

/** A distinct viewer of a profile in a range, with what breakdowns need. */
export interface RangeViewer {
  viewerId: string;
  /** The sources of their views in the range, each once. */
  sources: VisitSource[];
  /** What breakdowns read of their current card; absent once erased. */
  viewer: ViewerTraits | undefined;
}

/** Sums slot counts into buckets given by ascending slot boundaries (for a backend that sums in the process). */
export function sumIntoBuckets(rows: Iterable<SlotViews>, boundaries: readonly number[]): number[] {
  const into = new Array<number>(Math.max(0, boundaries.length - 1)).fill(0);
  const last = boundaries.length - 1;
  for (const r of rows) {
    if (r.slot < boundaries[0]! || r.slot >= boundaries[last]!) continue;
    // Boundaries are few (at most 367): a binary search per row.
    let lo = 0;
    let hi = last;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (r.slot >= boundaries[mid]!) lo = mid;
      else hi = mid;
    }
    into[lo]! += r.views;
  }
  return into;
}

export interface WorkspaceSlotViews extends SlotViews {
  source: VisitSource;
}

export interface WorkspaceViewers {
  /** Distinct viewers (of any profile) in each bucket. */
  perBucket: number[];
  /**
   * Every distinct viewer (of any profile) over the whole range, each once, in no particular
   * order. Ids only: who they are now (their visibility, whether they still exist) is the entity
   * store's to say (MemberStore.countByVisibility), so a visit store needs no member to answer.
   */
  viewerIds: string[];
}

/**
 * Tokens that change whenever what a profile's insights are computed from changes, so that a
 * result computed with them may be kept and reused while they read the same.
 */
export interface InsightsVersions {
  /** The profile's rows in the projection: moved by every apply, erase, purge and rebuild touching them. */
  projection: string;
  /**
   * Members' cards, connections and blocks (what breakdowns and degrees read): moved by any
   * change to them; null when the backend cannot tell (breakdowns are then computed every time).
   */
  directory: string | null;
  /**
   * How long a result kept under `directory` may be reused even while it reads the same, in ms;
   * absent: as long as it reads the same. For a version moved after the change commits rather
   * than with it (PostgreSQL), which a crash in between would leave unmoved: the bound on how
   * long such a change can go unseen.
   */
  directoryMaxAgeMs?: number;
}

/** Ranges are slot numbers, `from` inclusive, `to` exclusive; everything is keyed by workspace. */
export interface InsightsStore {
  /**
   * The profile's versions, read after the projection has caught up; null when the backend
   * cannot say (nothing is then kept: every request computes its figures).
   */
  versions(workspaceId: string, profileId: string): Promise<InsightsVersions | null>;
  /**
   * Views of a profile in each bucket, buckets given by ascending slot boundaries (n + 1 for n
   * buckets; the answer has n sums); with `viewerIds`, only those viewers' views. Summed by the
   * database where it is a server, so a year of slots does not cross the network.
   */
  profileViews(workspaceId: string, profileId: string, boundaries: readonly number[], viewerIds?: readonly string[]): Promise<number[]>;
  /** Distinct viewers of a profile with a view in the range, leaving out `excludeViewerIds`. */
  distinctViewers(workspaceId: string, profileId: string, from: number, to: number, excludeViewerIds: readonly string[]): Promise<number>;
  /** Every distinct viewer of a profile in the range (but `excludeViewerIds`), with their sources and current card. */
  rangeViewers(workspaceId: string, profileId: string, from: number, to: number, excludeViewerIds: readonly string[]): Promise<RangeViewer[]>;
  /** Views of every profile of the workspace per slot and source. */
  workspaceViews(workspaceId: string, from: number, to: number): Promise<WorkspaceSlotViews[]>;
  /**
   * Distinct viewers per bucket, buckets given by ascending slot boundaries (n + 1 boundaries for
   * n buckets), and the distinct viewers of the whole range (from the first boundary to the last).
   */
  workspaceViewers(workspaceId: string, boundaries: readonly number[]): Promise<WorkspaceViewers>;
  /** The most viewed profiles in the range, most views first, ties by id. */
  topProfiles(workspaceId: string, from: number, to: number, limit: number): Promise<{ profileId: string; views: number }[]>;
}
