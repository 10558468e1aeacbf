import { AppError } from '../errors.js';
import { checkMemberInput } from '../validation.js';
import type { Member, MemberInput, Workspace } from '../types.js';
import type { CoreDeps } from './deps.js';

export type MemberResult = { ok: true; member: Member; created: boolean } | { ok: false; error: AppError };

/**
 * Creates or replaces many members at once (the CLI's import; `upsertMember` is the one-item
 * form): each item is checked on its own, so a bad item is reported and the others are stored.
 * Replace semantics like PUT: a field absent from the item is cleared. When an id appears twice,
 * the later item wins, as if they had been sent one after the other.
 */
export async function upsertMembers(deps: CoreDeps, workspace: Workspace, raws: readonly unknown[]): Promise<MemberResult[]> {
  const results: MemberResult[] = new Array(raws.length);
  const latest = new Map<string, { input: MemberInput; indexes: number[] }>();
  raws.forEach((raw, index) => {
    try {
      const input = checkMemberInput(raw);
      const seen = latest.get(input.id);
      latest.set(input.id, { input, indexes: [...(seen?.indexes ?? []), index] });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      results[index] = { ok: false, error: err };
    }
  });
  if (latest.size === 0) return results;
  const ids = [...latest.keys()];
  const existing = await deps.store.members.existingIds(workspace.id, ids);
  const stored = await deps.store.members.upsert(workspace.id, [...latest.values()].map((v) => v.input), 'replace', deps.clock.now());
  const byId = new Map(stored.map((m) => [m.id, m]));
  for (const [id, { indexes }] of latest) {
    indexes.forEach((index, n) => {
      results[index] = { ok: true, member: byId.get(id)!, created: !existing.has(id) && n === 0 };
    });
  }
  return results;
}
