import { AppError } from '../errors.js';
import type { Block, ViewedProfile } from '../store.js';
import type { ApiKey, Member, Workspace } from '../types.js';
import type { VisibleViewer } from '../rules/reading-rules.js';
import type { CoreDeps } from './deps.js';
import { getMember } from './members.js';
import { listViewers } from './list-viewers.js';

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

/**
 * A member's data, page by page, for a caller that streams it out: the profile (with its plan
 * and visibility, the member's settings), the blocks they made, their keys' metadata (the store
 * never holds secrets), their viewers exactly as the visitor list shows them to them (the list
 * use case itself, so blocks, the plan's horizon and blur and hidden entries apply alike), and
 * the profiles they viewed with counts and times (their own actions, in full). Nothing is read
 * before the consumer asks for it: memory stays one page whatever the member's history.
 *
 * Pages of viewers follow offsets: visits recorded during an export may shift an entry from
 * one page to the next (seen twice or not at all), as they would for a client paging the list.
 */
export async function* exportMember(deps: CoreDeps, workspace: Workspace, memberId: string): AsyncGenerator<ExportRecord> {
  const member = await getMember(deps, workspace, memberId);
  yield { kind: 'member', member, exportedAt: deps.clock.now() };
  yield { kind: 'blocks', blocks: await deps.store.blocks.list(workspace.id, memberId) };
  const keys = await deps.store.keys.list(workspace.id);
  yield { kind: 'keys', keys: keys.filter((k) => k.memberId === memberId) };

  for (let offset = 0; ; offset += EXPORT_PAGE) {
    let page;
    try {
      page = await listViewers(deps, workspace, { ownerId: memberId, offset, limit: EXPORT_PAGE });
    } catch (err) {
      if (err instanceof AppError && err.code === 'private_mode_forbidden') {
        yield { kind: 'viewers_withheld', reason: err.message };
        break;
      }
      throw err;
    }
    for (const viewer of page.viewers) yield { kind: 'viewer', viewer };
    if (offset + EXPORT_PAGE >= page.total) break;
  }

  for (let after = ''; ; ) {
    const rows = await deps.store.visits.viewedBy(workspace.id, memberId, after, EXPORT_PAGE);
    for (const viewed of rows) yield { kind: 'viewed', viewed };
    if (rows.length < EXPORT_PAGE) break;
    after = rows[rows.length - 1]!.profileId;
  }
}
