import { notFound } from '../errors.js';
import { checkMemberInput } from '../validation.js';
import type { Member, Workspace } from '../types.js';
import type { CoreDeps } from './deps.js';

/** Creates or replaces a member's profile (fields not sent are cleared, plan and visibility default). */
export async function upsertMember(deps: CoreDeps, workspace: Workspace, raw: unknown): Promise<Member> {
  const input = checkMemberInput(raw);
  const [member] = await deps.store.members.upsert(workspace.id, [input], 'replace', deps.clock.now());
  return member!;
}

export async function getMember(deps: CoreDeps, workspace: Workspace, id: string): Promise<Member> {
  const member = await deps.store.members.get(workspace.id, id);
  if (!member) throw notFound(`member ${id} not found`);
  return member;
}

/**
 * Erases a member everywhere at once: as owner (their visitor list and profile) and as viewer
 * (they vanish from every list they appeared in). Their keys stop working.
 */
export async function eraseMember(deps: CoreDeps, workspace: Workspace, id: string): Promise<void> {
  const erased = await deps.store.members.erase(workspace.id, id, deps.clock.now());
  if (!erased) throw notFound(`member ${id} not found`);
}
