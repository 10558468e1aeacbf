import type { Member, Workspace } from '../types.js';
import type { CoreDeps } from './deps.js';

/** The admin console's member search: an empty query finds nobody (no listing of everyone). */
export async function searchMembers(deps: CoreDeps, workspace: Workspace, query: string, limit = 20): Promise<Member[]> {
  const q = query.trim().slice(0, 128);
  if (q === '' || q.includes('\u0000')) return [];
  return deps.store.directory.search(workspace.id, q, Math.min(Math.max(limit, 1), 100));
}

export async function countMembers(deps: CoreDeps, workspace: Workspace): Promise<number> {
  return deps.store.directory.count(workspace.id);
}
