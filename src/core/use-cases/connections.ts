import { invalidInput } from '../errors.js';
import { checkId } from '../validation.js';
import type { Workspace } from '../types.js';
import type { CoreDeps } from './deps.js';
import { getMember } from './members.js';

async function checkPair(deps: CoreDeps, workspace: Workspace, a: unknown, b: unknown): Promise<[string, string]> {
  const x = checkId(a, 'memberId');
  const y = checkId(b, 'otherId');
  if (x === y) throw invalidInput('a member cannot be connected to themselves');
  await getMember(deps, workspace, x);
  await getMember(deps, workspace, y);
  return [x, y];
}

export async function addConnection(deps: CoreDeps, workspace: Workspace, a: unknown, b: unknown) {
  const [x, y] = await checkPair(deps, workspace, a, b);
  const created = await deps.store.connections.add(workspace.id, x, y, deps.clock.now());
  return { memberId: x, otherId: y, created };
}

export async function removeConnection(deps: CoreDeps, workspace: Workspace, a: unknown, b: unknown) {
  const [x, y] = await checkPair(deps, workspace, a, b);
  return { memberId: x, otherId: y, removed: await deps.store.connections.remove(workspace.id, x, y) };
}

export async function listConnections(deps: CoreDeps, workspace: Workspace, memberId: string, offset: number, limit: number) {
  await getMember(deps, workspace, memberId);
  return deps.store.connections.list(workspace.id, memberId, offset, limit);
}
