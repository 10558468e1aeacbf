import { invalidInput } from '../errors.js';
import { checkId } from '../validation.js';
import type { Block } from '../store.js';
import type { AcceptedVisit, Workspace } from '../types.js';
import type { CoreDeps } from './deps.js';
import { getMember } from './members.js';

/**
 * Blocks (docs/privacy-controls.md). A member may block another; from the moment that is
 * acknowledged, neither appears among the other's viewers anywhere (lists, totals, exports),
 * past visits included, and visits between them are acknowledged without being stored.
 * Removing the block shows again what was stored before it, nothing from while it stood.
 */
async function checkPair(deps: CoreDeps, workspace: Workspace, a: unknown, b: unknown): Promise<[string, string]> {
  const memberId = checkId(a, 'memberId');
  const otherId = checkId(b, 'otherId');
  if (memberId === otherId) throw invalidInput('a member cannot block themselves', { field: 'otherId' });
  await getMember(deps, workspace, memberId);
  await getMember(deps, workspace, otherId);
  return [memberId, otherId];
}

export async function blockMember(deps: CoreDeps, workspace: Workspace, a: unknown, b: unknown) {
  const [memberId, otherId] = await checkPair(deps, workspace, a, b);
  const created = await deps.store.blocks.add(workspace.id, memberId, otherId, deps.clock.now());
  return { memberId, otherId, created };
}

export async function unblockMember(deps: CoreDeps, workspace: Workspace, a: unknown, b: unknown) {
  const [memberId, otherId] = await checkPair(deps, workspace, a, b);
  const removed = await deps.store.blocks.remove(workspace.id, memberId, otherId);
  return { memberId, otherId, removed };
}

/** The blocks a member made (not who blocked them: that would tell them something they may not know). */
export async function listBlocks(deps: CoreDeps, workspace: Workspace, memberId: string): Promise<Block[]> {
  await getMember(deps, workspace, memberId);
  return deps.store.blocks.list(workspace.id, memberId);
}

/** Everyone hidden from `ownerId`'s viewers by a block in either direction; undefined when nobody is. */
export async function blockedViewers(deps: CoreDeps, workspaceId: string, ownerId: string): Promise<readonly string[] | undefined> {
  const ids = await deps.store.blocks.between(workspaceId, ownerId);
  return ids.length > 0 ? ids : undefined;
}

/** Which of these visits are between two members with a block in either direction (by index). */
export async function blockedVisits(deps: CoreDeps, workspaceId: string, visits: readonly AcceptedVisit[]): Promise<Set<number>> {
  const out = new Set<number>();
  if (visits.length === 0) return out;
  const ids = new Set<string>();
  for (const v of visits) ids.add(v.profileId).add(v.viewerId);
  const blocks = await deps.store.blocks.madeBy(workspaceId, [...ids]);
  if (blocks.length === 0) return out;
  const pairs = new Set(blocks.flatMap((b) => [JSON.stringify([b.memberId, b.blockedId]), JSON.stringify([b.blockedId, b.memberId])]));
  visits.forEach((v, i) => {
    if (pairs.has(JSON.stringify([v.profileId, v.viewerId]))) out.add(i);
  });
  return out;
}
