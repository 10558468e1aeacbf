import { AppError } from '../errors.js';
import type { Block, ViewedProfile } from '../store.js';
import type { ApiKey, Member, Workspace } from '../types.js';
import type { VisibleViewer } from '../rules/reading-rules.js';
import type { CoreDeps } from './deps.js';
import { getMember } from './members.js';
import { walkViewers } from './viewer-walk.js';

/** Rows read per page: a page at a time is all an export ever holds. */
export const EXPORT_PAGE = 500;

/** One piece of a member's export, in the order they come (docs/privacy-controls.md, "Export"). */
export type ExportRecord =
  | { kind: 'member'; member: Member; exportedAt: number }
  | { kind: 'blocks'; blocks: Block[] }
  | { kind: 'keys'; keys: ApiKey[] }
  /** Why the viewers are left out: a free member in private mode may not see them anywhere. */
  | { kind: 'viewers_withheld'; reason: string }
  | { kind: 'viewer'; viewer: VisibleViewer }
  | { kind: 'viewed'; viewed: ViewedProfile };

/** How an export reads: `pageSize` rows a read (EXPORT_PAGE unless a test wants many small pages). */
export interface ExportOptions {
  pageSize?: number;
}

/**
 * A member's data, page by page, for a caller that streams it out: the profile (with its plan
 * and visibility, the member's settings), the blocks they made, their keys' metadata (the store
 * never holds secrets), their viewers exactly as the visitor list shows them to them (rendered
 * by the list's own rules, see viewer-walk.ts, so blocks, the plan's horizon and blur and hidden
 * entries apply alike), and the profiles they viewed with counts and times (their own actions,
 * in full). Nothing is read before the consumer asks for it: memory stays a page whatever the
 * member's history.
 *
 * Both lists are paged by where the previous page ended, never by offset: the viewers as their
 * list stood when the export began (visits recorded meanwhile neither repeat nor skip anyone,
 * viewer-walk.ts), the profiles viewed by profile id (a profile first viewed during the export
 * may or may not be in it; none is listed twice).
 */
export async function* exportMember(deps: CoreDeps, workspace: Workspace, memberId: string, opts: ExportOptions = {}): AsyncGenerator<ExportRecord> {
  const pageSize = opts.pageSize ?? EXPORT_PAGE;
  const member = await getMember(deps, workspace, memberId);
  yield { kind: 'member', member, exportedAt: deps.clock.now() };
  yield { kind: 'blocks', blocks: await deps.store.blocks.list(workspace.id, memberId) };
  const keys = await deps.store.keys.list(workspace.id);
  yield { kind: 'keys', keys: keys.filter((k) => k.memberId === memberId) };

  let walk;
  try {
    walk = await walkViewers(deps, workspace, memberId, pageSize);
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'private_mode_forbidden')) throw err;
    yield { kind: 'viewers_withheld', reason: err.message };
  }
  if (walk) for await (const page of walk.pages) for (const viewer of page) yield { kind: 'viewer', viewer };

  for (let after = ''; ; ) {
    const rows = await deps.store.visits.viewedBy(workspace.id, memberId, after, pageSize);
    for (const viewed of rows) yield { kind: 'viewed', viewed };
    if (rows.length < pageSize) break;
    after = rows[rows.length - 1]!.profileId;
  }
}
