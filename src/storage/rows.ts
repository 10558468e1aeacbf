/**
 * Row shapes shared by the SQL backends (both use the same column names) and their mapping to
 * domain objects. Numbers may arrive as strings from drivers that return int8 as text. SQLite
 * reads its hot rows as tuples (raw mode), which the object shapes map through, so each domain
 * object has one mapping.
 */
import { DEFAULT_SETTINGS, type ApiKey, type Member, type Plan, type Role, type ViewerSummary, type Visibility, type VisitLogEntry, type VisitSource, type Workspace } from '../core/index.js';

export interface MemberRow {
  id: string;
  name: string | null;
  headline: string | null;
  image_url: string | null;
  company: string | null;
  industry: string | null;
  location: string | null;
  public_identifier: string | null;
  profile_url: string | null;
  plan: string;
  visibility: string;
  created_at: number | string;
  updated_at: number | string;
  title: string | null;
}

/** `title` came later (a migration appended it) and is last, so the tuple positions before it never moved. */
export const MEMBER_COLUMNS =
  'id, name, headline, image_url, company, industry, location, public_identifier, profile_url, plan, visibility, created_at, updated_at, title';

/** `MEMBER_COLUMNS` qualified by a table alias, for statements that join members. */
export const memberColumnsOf = (alias: string) =>
  MEMBER_COLUMNS.split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

/**
 * A member row as a tuple, in `MEMBER_COLUMNS` order. better-sqlite3 returns a row as an array
 * (raw mode) much faster than as an object with named properties: about 1 µs less per member
 * card read from the bench file, a fifth of the read.
 */
export type MemberTuple = [
  id: string,
  name: string | null,
  headline: string | null,
  imageUrl: string | null,
  company: string | null,
  industry: string | null,
  location: string | null,
  publicIdentifier: string | null,
  profileUrl: string | null,
  plan: string,
  visibility: string,
  createdAt: number | string,
  updatedAt: number | string,
  title: string | null,
];

export function memberFromTuple(t: MemberTuple): Member {
  return {
    id: t[0],
    name: t[1],
    headline: t[2],
    imageUrl: t[3],
    company: t[4],
    industry: t[5],
    location: t[6],
    publicIdentifier: t[7],
    profileUrl: t[8],
    plan: t[9] as Plan,
    visibility: t[10] as Visibility,
    createdAt: Number(t[11]),
    updatedAt: Number(t[12]),
    // Absent from tuples built before the column existed (a cache of an older process).
    title: t[13] ?? null,
  };
}

export function memberFromRow(r: MemberRow): Member {
  return memberFromTuple([
    r.id,
    r.name,
    r.headline,
    r.image_url,
    r.company,
    r.industry,
    r.location,
    r.public_identifier,
    r.profile_url,
    r.plan,
    r.visibility,
    r.created_at,
    r.updated_at,
    r.title,
  ]);
}

export interface KeyRow {
  id: string;
  workspace_id: string;
  role: string;
  member_id: string | null;
  name: string | null;
  credits: number | string | null;
  created_at: number | string;
  revoked_at: number | string | null;
}

export const KEY_COLUMNS = 'id, workspace_id, role, member_id, name, credits, created_at, revoked_at';

export function keyFromRow(r: KeyRow): ApiKey {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    role: r.role as Role,
    memberId: r.member_id,
    name: r.name,
    credits: r.credits === null ? null : Number(r.credits),
    createdAt: Number(r.created_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

export interface WorkspaceRow {
  id: string;
  name: string;
  settings: string | Record<string, unknown>;
  created_at: number | string;
}

export function workspaceFromRow(r: WorkspaceRow): Workspace {
  const stored = typeof r.settings === 'string' ? JSON.parse(r.settings) : r.settings;
  return { id: r.id, name: r.name, settings: { ...DEFAULT_SETTINGS, ...stored }, createdAt: Number(r.created_at) };
}

/** A visitor-summary row as a tuple, in `SUMMARY_COLUMNS` order (raw mode, see `MemberTuple`); SQLite only. */
export type SummaryTuple = [viewerId: string, viewCount: number | string, firstViewedAt: number | string, lastViewedAt: number | string, lastSource: string];

export const SUMMARY_COLUMNS = 'viewer_id, view_count, first_viewed_at, last_viewed_at, last_source';

export function summaryFromTuple(t: SummaryTuple): ViewerSummary {
  return {
    viewerId: t[0],
    viewCount: Number(t[1]),
    firstViewedAt: Number(t[2]),
    lastViewedAt: Number(t[3]),
    lastSource: t[4] as VisitSource,
  };
}

/** Named parameters for a member upsert, shared by both backends. */
export function memberParams(workspaceId: string, m: import('../core/index.js').MemberInput, now: number) {
  return {
    ws: workspaceId,
    id: m.id,
    name: m.name ?? null,
    headline: m.headline ?? null,
    title: m.title ?? null,
    image_url: m.imageUrl ?? null,
    company: m.company ?? null,
    industry: m.industry ?? null,
    location: m.location ?? null,
    public_identifier: m.publicIdentifier ?? null,
    profile_url: m.profileUrl ?? null,
    plan: m.plan ?? null,
    visibility: m.visibility ?? null,
    now,
  };
}

/** A visit log row as both backends store it (docs/visit-log.md). */
export interface VisitLogRow {
  workspace_id: string;
  position: number;
  profile_id: string;
  viewer_id: string;
  viewed_at: number;
  source: string;
  client_id: string | null;
  recorded_at: number;
}

/** A log entry; a visit sent without an id is named by the number the backend gave it. */
export const visitLogEntryOf = (r: VisitLogRow, generatedId: number): VisitLogEntry => ({
  workspaceId: r.workspace_id,
  position: Number(r.position),
  profileId: r.profile_id,
  viewerId: r.viewer_id,
  viewedAt: Number(r.viewed_at),
  source: r.source as VisitSource,
  visitId: r.client_id ?? String(generatedId),
  recordedAt: Number(r.recorded_at),
});

/**
 * The entries one member write logs, in member id order compared bytewise (UTF-8), as both
 * backends order ids: so a batch's entries take the same positions on each.
 */
export function inMemberIdOrder<T extends { memberId: string }>(changes: readonly T[]): T[] {
  return [...changes].sort((a, b) => Buffer.compare(Buffer.from(a.memberId), Buffer.from(b.memberId)));
}
