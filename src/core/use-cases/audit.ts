import type { AuditAction, AuditCursor, AuditEntry } from '../audit.js';
import type { Workspace } from '../types.js';
import type { CoreDeps } from './deps.js';

/** Who acted: the API key's id, or null for the operator's command line. */
export type Actor = { keyId: string | null };

/**
 * Appends one entry to the audit log, right after the action it records succeeded (not in the
 * action's transaction: a crash between the two loses the entry; docs/privacy-controls.md).
 */
export async function recordAudit(
  deps: CoreDeps,
  workspace: Pick<Workspace, 'id'>,
  actor: Actor,
  action: AuditAction,
  target: string,
  details: Record<string, unknown> | null = null,
): Promise<void> {
  await deps.store.audit.append({ workspaceId: workspace.id, at: deps.clock.now(), actorKeyId: actor.keyId, action, target, details });
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `after` for the next page; null when this page was the last. */
  nextAfter: number | null;
}

export async function listAudit(deps: CoreDeps, workspace: Workspace, since: number, afterId: number, limit: number): Promise<AuditPage> {
  // One more than asked: whether a next page exists without a count.
  const rows = await deps.store.audit.list(workspace.id, since, afterId, limit + 1);
  const entries = rows.slice(0, limit);
  return { entries, nextAfter: rows.length > limit ? entries[entries.length - 1]!.id : null };
}

export interface AuditPageNewestFirst {
  entries: AuditEntry[];
  /** Pass as `before` for the next (older) page; null when this page was the last. */
  next: AuditCursor | null;
}

/** The same entries as `listAudit`, newest first (the admin console reads the log this way). */
export async function listAuditNewestFirst(deps: CoreDeps, workspace: Workspace, before: AuditCursor | null, limit: number): Promise<AuditPageNewestFirst> {
  const rows = await deps.store.audit.listNewestFirst(workspace.id, before, limit + 1);
  const entries = rows.slice(0, limit);
  const last = entries[entries.length - 1];
  return { entries, next: rows.length > limit && last ? { at: last.at, id: last.id } : null };
}
