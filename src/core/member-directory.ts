import type { Member } from './types.js';

/**
 * Finding members for people, not for the API: the admin console's member search (docs/pages.md).
 * Separate from MemberStore, whose reads are keyed by id on the hot path.
 */
export interface MemberDirectory {
  /**
   * Members whose id starts with `query` or whose name contains it (case-insensitive for ASCII),
   * an exact id first, then by id; at most `limit`.
   */
  search(workspaceId: string, query: string, limit: number): Promise<Member[]>;
  /** How many members the workspace has. */
  count(workspaceId: string): Promise<number>;
}
