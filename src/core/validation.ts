/**
 * Field rules for data that enters through any door (HTTP, CLI, demo generator). The HTTP
 * schemas say the same for documentation and early rejection, but batches are validated item
 * by item here so that one bad item does not sink the others.
 */
import { invalidInput } from './errors.js';
import {
  PLANS,
  VISIBILITIES,
  VISIT_SOURCES,
  type MemberInput,
  type MemberProfile,
  type VisitInput,
} from './types.js';

export const ID_MAX = 128;
export const TEXT_MAX = 512;
export const URL_MAX = 2048;

const PROFILE_TEXT_FIELDS = ['name', 'headline', 'title', 'company', 'industry', 'location', 'publicIdentifier'] as const;
const PROFILE_URL_FIELDS = ['imageUrl', 'profileUrl'] as const;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > ID_MAX) {
    throw invalidInput(`${field} must be a string of 1 to ${ID_MAX} characters`, { field });
  }
  return refuseUnstorable(value, field);
}

function optionalText(v: unknown, field: string, max: number): string | null | undefined {
  if (v === undefined || v === null) return v as null | undefined;
  if (typeof v !== 'string' || v.length > max) {
    throw invalidInput(`${field} must be a string of at most ${max} characters or null`, { field });
  }
  return refuseUnstorable(v, field);
}

/**
 * No text may hold what PostgreSQL cannot store as text: the NUL character, or a lone UTF-16
 * surrogate (half of a pair, which has no UTF-8 form; the driver would quietly replace it, so
 * two different ids could become one member). Every backend must accept the same data, so both
 * refuse it with a 400 naming the field rather than store something else. The HTTP schemas say
 * the same (http/plugins/validation.ts); this covers what arrives otherwise (batch items,
 * which are checked one by one, settings, key names, and the CLI's imports).
 */
export function refuseUnstorable(value: string, field: string): string {
  const problem = unstorableText(value);
  if (problem) throw invalidInput(`${field} ${problem}`, { field });
  return value;
}

/** Why `value` cannot be stored as text, or null when it can. */
export function unstorableText(value: string): string | null {
  if (value.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (!value.isWellFormed()) return 'must not contain a lone UTF-16 surrogate (U+D800 to U+DFFF)';
  return null;
}

/** The former name, from when NUL was the only text refused; it refuses both now. */
export const refuseNul = refuseUnstorable;

function oneOf<T extends string>(v: unknown, allowed: readonly T[], field: string): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw invalidInput(`${field} must be one of ${allowed.join(', ')}`, { field });
  }
  return v as T;
}

const PROFILE_FIELDS = new Set<string>([...PROFILE_TEXT_FIELDS, ...PROFILE_URL_FIELDS, 'plan', 'visibility']);
const VISIT_FIELDS = new Set(['id', 'profileId', 'viewerId', 'viewedAt', 'source', 'profile', 'viewer']);

function refuseUnknown(raw: Record<string, unknown>, allowed: Set<string>, prefix: string) {
  const extra = Object.keys(raw).find((k) => !allowed.has(k));
  if (extra !== undefined) {
    const field = prefix ? `${prefix}.${extra}` : extra;
    throw invalidInput(`${field} is not allowed`, { field });
  }
}

export function checkProfile(raw: unknown, prefix: string): MemberProfile {
  if (!isObject(raw)) throw invalidInput(`${prefix} must be an object`, { field: prefix });
  refuseUnknown(raw, PROFILE_FIELDS, prefix);
  const out: MemberProfile = {};
  for (const f of PROFILE_TEXT_FIELDS) {
    const v = optionalText(raw[f], `${prefix}.${f}`, TEXT_MAX);
    if (v !== undefined) out[f] = v;
  }
  for (const f of PROFILE_URL_FIELDS) {
    const v = optionalText(raw[f], `${prefix}.${f}`, URL_MAX);
    if (v !== undefined) out[f] = v;
  }
  const plan = oneOf(raw.plan, PLANS, `${prefix}.plan`);
  if (plan) out.plan = plan;
  const visibility = oneOf(raw.visibility, VISIBILITIES, `${prefix}.visibility`);
  if (visibility) out.visibility = visibility;
  return out;
}

export function checkMemberInput(raw: unknown, prefix = 'member'): MemberInput {
  if (!isObject(raw)) throw invalidInput(`${prefix} must be an object`, { field: prefix });
  const { id, ...profile } = raw;
  return { ...checkProfile(profile, prefix), id: checkId(id, `${prefix}.id`) };
}

export function checkVisitShape(raw: unknown): VisitInput {
  if (!isObject(raw)) throw invalidInput('a visit must be an object');
  refuseUnknown(raw, VISIT_FIELDS, '');
  const visit: VisitInput = {
    profileId: checkId(raw.profileId, 'profileId'),
    viewerId: checkId(raw.viewerId, 'viewerId'),
  };
  if (raw.id !== undefined) visit.id = checkId(raw.id, 'id');
  if (raw.viewedAt !== undefined) {
    if (typeof raw.viewedAt !== 'number' || !Number.isSafeInteger(raw.viewedAt) || raw.viewedAt < 0) {
      throw invalidInput('viewedAt must be a non-negative integer of epoch milliseconds', { field: 'viewedAt' });
    }
    visit.viewedAt = raw.viewedAt;
  }
  const source = oneOf(raw.source, VISIT_SOURCES, 'source');
  if (source) visit.source = source;
  if (raw.profile !== undefined) visit.profile = checkProfile(raw.profile, 'profile');
  if (raw.viewer !== undefined) visit.viewer = checkProfile(raw.viewer, 'viewer');
  return visit;
}
