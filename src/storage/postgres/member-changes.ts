/**
 * The member-change log on PostgreSQL (core/member-changes.ts, docs/webhooks.md "Member
 * events"): `member_changes`, appended by the members' own write statements and transactions
 * (members.ts) at positions taken from the workspace's `member_change_heads` row. The row is
 * taken last and stays locked until commit, so positions commit in order across every process
 * of every instance, and a transaction holding it waits for nothing else.
 */
import type pg from 'pg';
import type { MemberChange, MemberChangeHead, MemberChangeKind, MemberChangeLog } from '../../core/index.js';
import type { PgDatabase } from './database.js';
import { inMemberIdOrder } from '../rows.js';

/**
 * Appends entries ($2 member ids, $3 kinds, in order) of workspace $1 at time $4, at the
 * positions after the head, which the same statement moves (and so locks until commit).
 */
const APPEND = `WITH h AS (
    INSERT INTO member_change_heads (workspace_id, position) VALUES ($1, cardinality($2::text[]))
    ON CONFLICT (workspace_id) DO UPDATE SET position = member_change_heads.position + excluded.position RETURNING position
  )
  INSERT INTO member_changes (workspace_id, position, kind, member_id, changed_at)
  SELECT $1, h.position - cardinality($2::text[]) + t.n, t.kind, t.id, $4
  FROM h, unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(id, kind, n)`;

/** A change to log, before it has a position. */
export interface NewMemberChange {
  kind: MemberChangeKind;
  memberId: string;
}

/** Appends changes, in member id order, in the caller's transaction; it should be the transaction's last write (see above). */
export async function appendMemberChanges(c: pg.ClientBase, workspaceId: string, changes: readonly NewMemberChange[], now: number): Promise<void> {
  if (changes.length === 0) return;
  const ordered = inMemberIdOrder(changes);
  await c.query(APPEND, [workspaceId, ordered.map((x) => x.memberId), ordered.map((x) => x.kind), now]);
}

type Row = { workspace_id: string; position: number; kind: MemberChangeKind; member_id: string; changed_at: number };

export class PgMemberChanges implements MemberChangeLog {
  constructor(private db: PgDatabase) {}

  async read(workspaceId: string, after: number, limit: number): Promise<MemberChange[]> {
    const rows = await this.db.query<Row>({
      name: 'member_changes_read',
      text: 'SELECT workspace_id, position, kind, member_id, changed_at FROM member_changes WHERE workspace_id = $1 AND position > $2 ORDER BY position LIMIT $3',
      values: [workspaceId, after, limit],
    });
    return rows.map((r) => ({ workspaceId: r.workspace_id, position: r.position, kind: r.kind, memberId: r.member_id, changedAt: r.changed_at }));
  }

  async heads(): Promise<MemberChangeHead[]> {
    const rows = await this.db.query<{ workspace_id: string; position: number }>('SELECT workspace_id, position FROM member_change_heads ORDER BY workspace_id');
    return rows.map((r) => ({ workspaceId: r.workspace_id, position: r.position }));
  }

  async prune(workspaceId: string, through: number): Promise<number> {
    const [r] = await this.db.query<{ n: number }>(
      'WITH d AS (DELETE FROM member_changes WHERE workspace_id = $1 AND position <= $2 RETURNING 1) SELECT count(*)::int AS n FROM d',
      [workspaceId, through],
    );
    return r?.n ?? 0;
  }
}
