/**
 * The member-change log (docs/webhooks.md, "Member events"): one entry per member created,
 * changed or erased, written by the entity store in the transaction that makes the change, so
 * that an acknowledged change is in the log. What reads it (the webhook outbox) is a projection
 * of it with its own checkpoint, as projections of the visit log are (projection.ts).
 *
 * Positions are per workspace, strictly increasing in commit order and never reused: a reader
 * that has seen position n of a workspace has seen every entry below n that will ever exist.
 * They are dense when written; entries below every reader's checkpoint may be pruned. The
 * entries of one write are in member id order (bytewise), one per member.
 */

/** `created`: the member did not exist; `updated`: a stored field changed; `erased`: the member was erased. */
export type MemberChangeKind = 'created' | 'updated' | 'erased';

/** What happened to whom, never what the profile holds: readers are told ids only. */
export interface MemberChange {
  workspaceId: string;
  position: number;
  kind: MemberChangeKind;
  memberId: string;
  /** When the change was made (epoch ms, the `now` of the write). */
  changedAt: number;
}

/** The newest position of a workspace's member-change log. */
export interface MemberChangeHead {
  workspaceId: string;
  position: number;
}

export interface MemberChangeLog {
  /** Entries of one workspace with a position above `after`, oldest first, at most `limit`. */
  read(workspaceId: string, after: number, limit: number): Promise<MemberChange[]>;
  /** Every workspace whose log has ever had an entry, with its newest position (pruning does not move it back). */
  heads(): Promise<MemberChangeHead[]>;
  /** Removes the entries of a workspace at or below `through` (every reader has passed them). Returns how many. */
  prune(workspaceId: string, through: number): Promise<number>;
}
