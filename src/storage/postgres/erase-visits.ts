/**
 * What the visit store holds of a member, erased (docs/rules.md, erasure): their visits as
 * viewer and as owner, the summaries and day counts built from them, their visit log entries
 * and insights. Run inside the caller's transaction: the member store's erase (members.ts) runs
 * it with the rest of the member in one transaction; the visit store's own (visits.ts) runs it
 * alone, when the member's entity rows live elsewhere (storage/compose-stores.ts).
 */
import type { PoolClient } from 'pg';
import { INSIGHTS_ERASE_SQL } from './insights.js';

export async function eraseVisitsOf(c: Pick<PoolClient, 'query'>, workspaceId: string, id: string): Promise<void> {
  const p = [workspaceId, id];
  await c.query(
    'DELETE FROM visits WHERE workspace_id = $1 AND viewer_id = $2 AND profile_id IN (SELECT profile_id FROM visitor_summary WHERE workspace_id = $1 AND viewer_id = $2)',
    p,
  );
  // Each profile they viewed loses one viewer on the day of their last view.
  await c.query(
    `UPDATE viewer_day_counts d SET viewers = d.viewers - 1 FROM visitor_summary s
     WHERE s.workspace_id = $1 AND s.viewer_id = $2 AND d.workspace_id = $1 AND d.profile_id = s.profile_id AND d.day = s.last_viewed_at / 86400000`,
    p,
  );
  await c.query('DELETE FROM visitor_summary WHERE workspace_id = $1 AND viewer_id = $2', p);
  // The visit log keeps no visit of an erased member, so no rebuild brings them back: a scan
  // of the workspace's log, erasure being rare (docs/visit-log.md). Positions are not reused.
  await c.query('DELETE FROM visit_log WHERE workspace_id = $1 AND (viewer_id = $2 OR profile_id = $2)', p);
  // The insights projection, after the log: an apply of their entries that was under way
  // has committed by now (it locks the entries it applies), and its rows are seen here.
  for (const sql of INSIGHTS_ERASE_SQL) await c.query(sql, p);
  await c.query('DELETE FROM visits WHERE workspace_id = $1 AND profile_id = $2', p);
  await c.query('DELETE FROM visitor_summary WHERE workspace_id = $1 AND profile_id = $2', p);
  await c.query('DELETE FROM viewer_day_counts WHERE workspace_id = $1 AND profile_id = $2', p);
}
