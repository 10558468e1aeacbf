import { AppError, invalidInput } from '../errors.js';
import { DAY_MS } from '../clock.js';
import { checkVisitShape } from '../validation.js';
import type { AcceptedVisit, MemberInput, RecordStatus, VisitInput, Workspace } from '../types.js';
import type { CoreDeps } from './deps.js';
import type { StoredVisit } from '../store.js';
import { blockedVisits } from './blocks.js';

/** Clock skew tolerated for visits dated slightly in the future. */
export const FUTURE_SKEW_MS = 5 * 60_000;
export const MAX_BATCH = 10_000;

export type VisitResult =
  /** `self_view` and `blocked` are acknowledged and not stored (docs/privacy-controls.md for blocks). */
  /** `visitId` is absent when the visit has none: sent without an id and not stored (deduplicated, self-view, blocked). */
  | { ok: true; status: RecordStatus | 'self_view' | 'blocked'; visitId?: string }
  | { ok: false; error: AppError };

interface Pending {
  index: number;
  visit: AcceptedVisit;
  /** Members this visit references without carrying their profile. */
  needs: string[];
  /** Members whose profile this visit carries inline. */
  carried: MemberInput[];
  /** Whether the client gave the time (a retry without one is dated anew, so its time is no evidence). */
  timed: boolean;
}

const withId = (status: VisitResult & { ok: true }, visitId: string): VisitResult => (visitId === '' ? status : { ...status, visitId });

/**
 * Validates and stores a batch of visits. Each item gets its own result: valid items are stored
 * (atomically, durably) even when others are refused. Self-views are acknowledged and not stored.
 */
export async function recordVisits(deps: CoreDeps, workspace: Workspace, raws: readonly unknown[]): Promise<VisitResult[]> {
  if (raws.length > MAX_BATCH) throw invalidInput(`a batch holds at most ${MAX_BATCH} visits`);
  const now = deps.clock.now();
  const horizon = now - workspace.settings.retentionDays * DAY_MS;
  const results: VisitResult[] = new Array(raws.length);
  const pending: Pending[] = [];

  raws.forEach((raw, index) => {
    try {
      const input = checkVisitShape(raw);
      const visit = accept(input, now, horizon);
      if (visit.profileId === visit.viewerId) {
        results[index] = withId({ ok: true, status: 'self_view' }, visit.clientId ?? '');
        return;
      }
      const carried: MemberInput[] = [];
      const needs: string[] = [];
      for (const [id, profile] of [[input.profileId, input.profile], [input.viewerId, input.viewer]] as const) {
        if (profile) carried.push({ ...profile, id });
        else needs.push(id);
      }
      pending.push({ index, visit, needs, carried, timed: input.viewedAt !== undefined });
    } catch (err) {
      results[index] = { ok: false, error: asAppError(err) };
    }
  });

  // A member is known if stored already or carried inline by any visit of the batch.
  const carriedIds = new Set(pending.flatMap((p) => p.carried.map((m) => m.id)));
  const wanted = [...new Set(pending.flatMap((p) => p.needs.filter((id) => !carriedIds.has(id))))];
  const known = wanted.length ? await deps.store.members.existingIds(workspace.id, wanted) : new Set<string>();

  let storable: Pending[] = [];
  for (const p of pending) {
    const missing = p.needs.filter((id) => !carriedIds.has(id) && !known.has(id));
    if (missing.length) {
      results[p.index] = {
        ok: false,
        error: new AppError('unknown_members', `unknown member${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`, {
          memberIds: missing,
        }),
      };
    } else storable.push(p);
  }
  // A visit between two members with a block in either direction is acknowledged and dropped,
  // before anything (an inline profile either) is written for it.
  const blocked = await blockedVisits(deps, workspace.id, storable.map((p) => p.visit));
  if (blocked.size > 0) {
    storable.forEach((p, i) => {
      if (blocked.has(i)) results[p.index] = withId({ ok: true, status: 'blocked' }, p.visit.clientId ?? '');
    });
    storable = storable.filter((_, i) => !blocked.has(i));
  }
  // An id reused for another visit is refused before anything is written for it when the item
  // carries inline profiles (so they are not merged); other items are checked after the write,
  // where it costs a lookup only for the replays.
  const conflicting = await reusedIdsCarryingProfiles(deps, workspace.id, storable);
  if (conflicting.size > 0) {
    for (const [p, differs] of conflicting) results[p.index] = { ok: false, error: conflict(p, differs) };
    storable = storable.filter((p) => !conflicting.has(p));
  }
  // Inline profiles are upserted only for visits that will be stored: a refused visit leaves no trace.
  const inline = new Map<string, MemberInput>();
  for (const p of storable) for (const m of p.carried) inline.set(m.id, { ...inline.get(m.id), ...m });
  if (inline.size > 0) await deps.store.members.upsert(workspace.id, [...inline.values()], 'merge', now);
  if (storable.length) {
    const outcomes = await deps.store.visits.record(
      workspace.id,
      storable.map((p) => p.visit),
      workspace.settings.dedupWindowMs,
    );
    storable.forEach((p, i) => {
      const o = outcomes[i]!;
      results[p.index] = withId({ ok: true, status: o.status }, o.visitId);
    });
    await refuseReusedIds(deps, workspace.id, storable, outcomes.map((o) => o.status), results);
  }
  return results;
}

/**
 * A replayed id must name the same visit: same profile, same viewer and, when the client gave
 * one, the same time. An id reused for another visit is a conflict (409), reported for that
 * item alone; the stored visit is unchanged. Decided after the write, from what the id names
 * once committed (so two items of one batch sharing an id are compared too: the second one
 * replays the first).
 */
async function refuseReusedIds(
  deps: CoreDeps,
  workspaceId: string,
  storable: readonly Pending[],
  statuses: readonly RecordStatus[],
  results: VisitResult[],
): Promise<void> {
  const replays = storable.filter((p, i) => statuses[i] === 'replayed' && p.visit.clientId !== null);
  if (replays.length === 0) return;
  const stored = await deps.store.visits.byClientIds(workspaceId, replays.map((p) => p.visit.clientId!));
  for (const p of replays) {
    const s = stored.get(p.visit.clientId!);
    // Gone (purged, or a member erased): nothing to compare with, the replay stands.
    if (!s) continue;
    const differs = differences(p, s);
    if (differs.length > 0) results[p.index] = { ok: false, error: conflict(p, differs) };
  }
}

/**
 * The items with an id and inline profiles whose id names another STORED visit. Earlier items of
 * the same batch are not compared here: whether one of them is stored (or deduplicated, which
 * leaves its id free) is known only after the write, where `refuseReusedIds` compares them.
 */
async function reusedIdsCarryingProfiles(deps: CoreDeps, workspaceId: string, storable: readonly Pending[]): Promise<Map<Pending, string[]>> {
  const out = new Map<Pending, string[]>();
  const carrying = storable.filter((p) => p.visit.clientId !== null && p.carried.length > 0);
  if (carrying.length === 0) return out;
  const stored = await deps.store.visits.byClientIds(workspaceId, carrying.map((p) => p.visit.clientId!));
  for (const p of carrying) {
    const s = stored.get(p.visit.clientId!);
    const differs = s ? differences(p, s) : [];
    if (differs.length > 0) out.set(p, differs);
  }
  return out;
}

function differences(p: Pending, s: StoredVisit): string[] {
  const differs: string[] = [];
  if (s.profileId !== p.visit.profileId) differs.push('profileId');
  if (s.viewerId !== p.visit.viewerId) differs.push('viewerId');
  if (p.timed && s.viewedAt !== p.visit.viewedAt) differs.push('viewedAt');
  return differs;
}

const conflict = (p: Pending, differs: string[]) =>
  new AppError('conflict', `visit id ${p.visit.clientId} was already used for another visit (different ${differs.join(', ')})`, { field: 'id', differs });

/** One visit; a refusal is thrown rather than reported. */
export async function recordVisit(deps: CoreDeps, workspace: Workspace, raw: unknown) {
  const [result] = await recordVisits(deps, workspace, [raw]);
  if (!result!.ok) throw result!.error;
  return result!;
}

function accept(input: VisitInput, now: number, horizon: number): AcceptedVisit {
  const viewedAt = input.viewedAt ?? now;
  if (viewedAt > now + FUTURE_SKEW_MS) {
    throw invalidInput(`viewedAt ${viewedAt} is in the future (more than 5 minutes ahead of the server clock)`, {
      field: 'viewedAt',
    });
  }
  if (viewedAt < horizon) {
    throw invalidInput(`viewedAt ${viewedAt} is older than the workspace's retention horizon`, { field: 'viewedAt' });
  }
  return {
    clientId: input.id ?? null,
    profileId: input.profileId,
    viewerId: input.viewerId,
    viewedAt,
    source: input.source ?? 'other',
  };
}

function asAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  throw err;
}
