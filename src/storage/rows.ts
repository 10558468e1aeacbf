/**
 * Row shapes shared by the SQL backends (both use the same column names) and their mapping to
 * domain objects. Numbers may arrive as strings from drivers that return int8 as text.
 */
import { DEFAULT_SETTINGS, type ApiKey, type Member, type Plan, type Role, type ViewerSummary, type Visibility, type VisitSource, type Workspace } from '../core/index.js';

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
}

export const MEMBER_COLUMNS =
  'id, name, headline, image_url, company, industry, location, public_identifier, profile_url, plan, visibility, created_at, updated_at';

export function memberFromRow(r: MemberRow): Member {
  return {
    id: r.id,
    name: r.name,
    headline: r.headline,
    imageUrl: r.image_url,
    company: r.company,
    industry: r.industry,
    location: r.location,
    publicIdentifier: r.public_identifier,
    profileUrl: r.profile_url,
    plan: r.plan as Plan,
    visibility: r.visibility as Visibility,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
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

export interface SummaryRow {
  viewer_id: string;
  view_count: number | string;
  first_viewed_at: number | string;
  last_viewed_at: number | string;
  last_source: string;
}

export function summaryFromRow(r: SummaryRow): ViewerSummary {
  return {
    viewerId: r.viewer_id,
    viewCount: Number(r.view_count),
    firstViewedAt: Number(r.first_viewed_at),
    lastViewedAt: Number(r.last_viewed_at),
    lastSource: r.last_source as VisitSource,
  };
}

/** Named parameters for a member upsert, shared by both backends. */
export function memberParams(workspaceId: string, m: import('../core/index.js').MemberInput, now: number) {
  return {
    ws: workspaceId,
    id: m.id,
    name: m.name ?? null,
    headline: m.headline ?? null,
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
