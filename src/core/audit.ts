/**
 * The audit log's vocabulary and store (docs/privacy-controls.md, "Audit log"). An entry says
 * who (the acting key's id), when, what and on what; never a secret, never anything about the
 * viewers a list hides. Entries are appended and never changed.
 */

export const AUDIT_ACTIONS = [
  'key.created',
  'key.revoked',
  'key.credits_set',
  'member.upserted',
  'member.erased',
  'block.added',
  'block.removed',
  'settings.updated',
  'visits.purged',
  'member.exported',
  'webhook.updated',
  'webhook.retried',
  'webhook.replayed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface NewAuditEntry {
  workspaceId: string;
  at: number;
  /** The API key that acted; null for the operator's command line. */
  actorKeyId: string | null;
  action: AuditAction;
  /** What the action was on: a member id, a key id, the workspace id. */
  target: string;
  /** Small facts about the action (a new credit balance, the settings changed); never a secret. */
  details: Record<string, unknown> | null;
}

export interface AuditEntry extends NewAuditEntry {
  /** Increasing in the order entries were appended, within one database. */
  id: number;
}

export interface AuditStore {
  append(entry: NewAuditEntry): Promise<void>;
  /** Entries at or after `since` (epoch ms) with an id above `afterId`, oldest first. */
  list(workspaceId: string, since: number, afterId: number, limit: number): Promise<AuditEntry[]>;
  /** Entries strictly before `before` (in time, then id), newest first: the console's pages. */
  listNewestFirst(workspaceId: string, before: AuditCursor | null, limit: number): Promise<AuditEntry[]>;
}

/** A position in the newest-first order: an entry's time and id. */
export interface AuditCursor {
  at: number;
  id: number;
}
