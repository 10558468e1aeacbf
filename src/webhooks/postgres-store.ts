/**
 * Webhook tables on PostgreSQL, shared by every process of every instance. A claim locks the
 * rows it leases with FOR UPDATE SKIP LOCKED: two processes claiming at once take different
 * messages, and the lease then keeps others off until it ends.
 */
import type { PgDatabase } from '../storage/postgres/database.js';
import type { EndpointPatch, MessageQuery, RecordedAttempt, WebhookStore } from './store.js';
import type { MemberChange, VisitLogEntry, VisitLogHead } from '../core/index.js';
import { PgCheckpoints } from '../storage/postgres/projection-checkpoints.js';
import { MEMBER_EVENTS_PROJECTION, OUTBOX_PROJECTION } from './outbox-name.js';
import type { NewMessage, WebhookEndpoint, WebhookMessage } from './types.js';
import { ENDPOINT_COLUMNS, MESSAGE_COLUMNS, attemptFromRow, endpointFromRow, messageFromRow } from './rows.js';

const DUE = "status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)";

/** New messages in one statement, their columns as arrays (outbox projection and enqueue alike). */
const INSERT_MESSAGES = `INSERT INTO webhook_messages (${MESSAGE_COLUMNS})
  SELECT id, ws, ep, ev, pl, oc, $7, 'pending', 0, 0, $7
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) AS t(id, ws, ep, ev, pl, oc)
  ON CONFLICT (id) DO NOTHING`;

/** An erased member ($2) leaves the outbox: their profile.visited messages lose their payload and are cancelled. */
const FORGET = `UPDATE webhook_messages SET payload = '{}', status = 'cancelled', next_attempt_at = NULL
  WHERE workspace_id = $1 AND event = 'profile.visited'
    AND (payload::jsonb ->> 'viewerId' = $2 OR payload::jsonb ->> 'profileId' = $2)`;

function messageParams(messages: readonly (NewMessage & { id: string })[], now: number): unknown[] {
  return [
    messages.map((m) => m.id),
    messages.map((m) => m.workspaceId),
    messages.map((m) => m.endpointId),
    messages.map((m) => m.event),
    messages.map((m) => m.payload),
    messages.map((m) => m.occurredAt),
    now,
  ];
}

export class PostgresWebhookStore implements WebhookStore {
  private checkpoints;

  constructor(private db: PgDatabase) {
    this.checkpoints = new PgCheckpoints(db);
  }

  async createEndpoint(e: WebhookEndpoint) {
    await this.db.query(
      `INSERT INTO webhook_endpoints (${ENDPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, NULL, NULL, NULL, $8, $9)`,
      [e.workspaceId, e.id, e.url, e.description, JSON.stringify(e.events), e.enabled, e.secret, e.createdAt, e.updatedAt],
    );
  }

  async getEndpoint(workspaceId: string, id: string) {
    const [r] = await this.db.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2`, [workspaceId, id]);
    return r ? endpointFromRow(r) : undefined;
  }

  async listEndpoints(workspaceId: string) {
    return (await this.db.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = $1 ORDER BY created_at, id`, [workspaceId])).map(endpointFromRow);
  }

  async enabledEndpoints(workspaceId: string) {
    return (await this.db.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = $1 AND enabled`, [workspaceId])).map(endpointFromRow);
  }

  async getEndpointsByIds(ids: readonly string[]) {
    return (await this.db.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ANY($1::text[])`, [ids])).map(endpointFromRow);
  }

  async updateEndpoint(workspaceId: string, id: string, patch: EndpointPatch, now: number) {
    const sets: string[] = [];
    const params: unknown[] = [workspaceId, id, now];
    const p = (v: unknown) => `$${params.push(v)}`;
    if (patch.url !== undefined) sets.push(`url = ${p(patch.url)}`);
    if (patch.events !== undefined) sets.push(`events = ${p(JSON.stringify(patch.events))}`);
    if (patch.description !== undefined) sets.push(`description = ${p(patch.description)}`);
    if (patch.enabled === true) sets.push('enabled = true, disabled_at = NULL, disabled_reason = NULL, failing_since = NULL');
    if (patch.enabled === false) sets.push("enabled = false, disabled_at = $3, disabled_reason = 'disabled by an administrator'");
    sets.push('updated_at = $3');
    const [r] = await this.db.query(`UPDATE webhook_endpoints SET ${sets.join(', ')} WHERE workspace_id = $1 AND id = $2 RETURNING ${ENDPOINT_COLUMNS}`, params);
    return r ? endpointFromRow(r) : undefined;
  }

  async rotateSecret(workspaceId: string, id: string, secret: string, previousUntil: number, now: number) {
    const [r] = await this.db.query(
      `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $3, secret = $4, updated_at = $5
       WHERE workspace_id = $1 AND id = $2 RETURNING ${ENDPOINT_COLUMNS}`,
      [workspaceId, id, previousUntil, secret, now],
    );
    return r ? endpointFromRow(r) : undefined;
  }

  async deleteEndpoint(workspaceId: string, id: string) {
    return this.db.transaction(async (c) => {
      const r = await c.query('DELETE FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2', [workspaceId, id]);
      if (!r.rowCount) return false;
      await c.query('DELETE FROM webhook_attempts WHERE message_id IN (SELECT id FROM webhook_messages WHERE workspace_id = $1 AND endpoint_id = $2)', [workspaceId, id]);
      await c.query('DELETE FROM webhook_messages WHERE workspace_id = $1 AND endpoint_id = $2', [workspaceId, id]);
      return true;
    });
  }

  async outboxCheckpoint(workspaceId: string) {
    return this.checkpoints.read(OUTBOX_PROJECTION, workspaceId);
  }

  async applyLog(
    workspaceId: string,
    entries: readonly VisitLogEntry[],
    event: string,
    toMessages: (endpoints: readonly WebhookEndpoint[], fresh: readonly VisitLogEntry[]) => (NewMessage & { id: string })[],
    now: number,
  ) {
    let written = 0;
    // Only what an erase has not taken out of the log since the runner read it: no message about an erased member.
    await this.checkpoints.applyLogged(OUTBOX_PROJECTION, workspaceId, entries, async (c, fresh) => {
      const { rows } = await c.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = $1`, [workspaceId]);
      const endpoints = rows.map(endpointFromRow).filter((e) => e.events.includes(event) || e.events.includes('*'));
      if (endpoints.length === 0) return;
      const messages = toMessages(endpoints, fresh);
      written = messages.length;
      await c.query(INSERT_MESSAGES, messageParams(messages, now));
    });
    return written;
  }

  async skipTo(heads: readonly VisitLogHead[]) {
    for (const h of heads) {
      await this.db.query(
        `INSERT INTO projection_checkpoints (name, workspace_id, position, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name, workspace_id) DO UPDATE SET position = greatest(projection_checkpoints.position, excluded.position), updated_at = excluded.updated_at`,
        [OUTBOX_PROJECTION, h.workspaceId, h.position, Date.now()],
      );
    }
  }

  async memberEventCheckpoints() {
    return this.checkpoints.readAll(MEMBER_EVENTS_PROJECTION);
  }

  async memberEventCheckpoint(workspaceId: string) {
    return this.checkpoints.read(MEMBER_EVENTS_PROJECTION, workspaceId);
  }

  async applyMemberChanges(
    workspaceId: string,
    changes: readonly MemberChange[],
    toMessages: (endpoints: readonly WebhookEndpoint[], fresh: readonly MemberChange[]) => (NewMessage & { id: string })[],
    now: number,
  ) {
    let written = 0;
    await this.checkpoints.apply(MEMBER_EVENTS_PROJECTION, workspaceId, changes, async (c, fresh) => {
      for (const x of fresh) if (x.kind === 'erased') await c.query(FORGET, [workspaceId, x.memberId]);
      const { rows } = await c.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = $1`, [workspaceId]);
      if (rows.length === 0) return;
      const messages = toMessages(rows.map(endpointFromRow), fresh);
      written = messages.length;
      if (messages.length > 0) await c.query(INSERT_MESSAGES, messageParams(messages, now));
    });
    return written;
  }

  async enqueue(messages: readonly (NewMessage & { id: string })[], now: number) {
    if (messages.length === 0) return;
    await this.db.query(INSERT_MESSAGES, messageParams(messages, now));
  }

  async dueEndpoints(now: number, busy: readonly string[], limit: number) {
    // From the endpoints, each probed through its due index: a DISTINCT over the due messages
    // read the whole backlog on every round (a disabled endpoint's too).
    const rows = await this.db.query<{ id: string }>(
      `SELECT e.id FROM webhook_endpoints e
       WHERE e.enabled AND e.id <> ALL($2::text[])
         AND EXISTS (SELECT 1 FROM webhook_messages m
                     WHERE m.endpoint_id = e.id AND m.workspace_id = e.workspace_id
                       AND m.status = 'pending' AND m.next_attempt_at <= $1 AND (m.lease_until IS NULL OR m.lease_until < $1))
       LIMIT $3`,
      [now, busy, limit],
    );
    return rows.map((r) => r.id);
  }

  async claim(owner: string, now: number, leaseUntil: number, wants: readonly { endpointId: string; limit: number }[]) {
    const out: WebhookMessage[] = [];
    for (const w of wants) {
      const rows = await this.db.query(
        `UPDATE webhook_messages SET lease_owner = $2, lease_until = $3
         WHERE id IN (SELECT id FROM webhook_messages WHERE endpoint_id = $4 AND ${DUE}
                      ORDER BY next_attempt_at LIMIT $5 FOR UPDATE SKIP LOCKED)
         RETURNING ${MESSAGE_COLUMNS}`,
        [now, owner, leaseUntil, w.endpointId, w.limit],
      );
      out.push(...rows.map(messageFromRow));
    }
    return out;
  }

  async recordAttempts(owner: string, attempts: readonly RecordedAttempt[]) {
    if (attempts.length === 0) return [];
    const col = <T>(f: (r: RecordedAttempt) => T) => attempts.map(f);
    return this.db.transaction(async (c) => {
      // Every message and its attempt in two statements, whatever the number of attempts.
      const released = await c.query<{ id: string; attempts: number }>(
        `UPDATE webhook_messages m SET attempts = m.attempts + 1, status = t.status, step = t.step, next_attempt_at = t.next, lease_owner = NULL, lease_until = NULL
         FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[]) AS t(id, status, step, next)
         WHERE m.id = t.id AND m.lease_owner = $5
         RETURNING m.id, m.attempts`,
        [col((r) => r.message.id), col((r) => r.outcome.status), col((r) => r.outcome.step), col((r) => r.outcome.nextAttemptAt), owner],
      );
      const n = new Map(released.rows.map((r) => [r.id, r.attempts]));
      const held = attempts.filter((r) => n.has(r.message.id));
      if (held.length > 0) {
        const a = (f: (r: RecordedAttempt['outcome']['attempt']) => unknown) => held.map((r) => f(r.outcome.attempt));
        await c.query(
          `INSERT INTO webhook_attempts (message_id, n, attempted_at, status_code, error, duration_ms, response_body)
           SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::int[], $5::text[], $6::int[], $7::text[])`,
          [held.map((r) => r.message.id), held.map((r) => n.get(r.message.id)), a((x) => x.attemptedAt), a((x) => x.statusCode), a((x) => x.error), a((x) => x.durationMs), a((x) => x.responseBody)],
        );
      }
      // The endpoints' failing runs, attempt by attempt in order. A repeat changes nothing (a
      // success ends the run, a failure starts one only if none is running), so only a change
      // between success and failure is written: one statement per endpoint in the usual case.
      const lastSucceeded = new Map<string, boolean>();
      for (const { message: m, outcome: o, now } of held) {
        if (lastSucceeded.get(m.endpointId) === o.succeeded && !o.disable) continue;
        lastSucceeded.set(m.endpointId, o.succeeded);
        if (o.succeeded) {
          await c.query('UPDATE webhook_endpoints SET failing_since = NULL WHERE workspace_id = $1 AND id = $2 AND failing_since IS NOT NULL', [m.workspaceId, m.endpointId]);
        } else {
          await c.query('UPDATE webhook_endpoints SET failing_since = $3 WHERE workspace_id = $1 AND id = $2 AND failing_since IS NULL', [m.workspaceId, m.endpointId, o.attempt.attemptedAt]);
        }
        if (o.disable) {
          await c.query(
            'UPDATE webhook_endpoints SET enabled = false, disabled_at = $3, disabled_reason = $4, updated_at = $3 WHERE workspace_id = $1 AND id = $2 AND enabled',
            [m.workspaceId, m.endpointId, now, o.disable.reason],
          );
        }
      }
      return attempts.map((r) => n.has(r.message.id));
    });
  }

  async release(owner: string, ids: readonly string[]) {
    if (ids.length === 0) return;
    await this.db.query('UPDATE webhook_messages SET lease_owner = NULL, lease_until = NULL WHERE id = ANY($1::text[]) AND lease_owner = $2', [ids, owner]);
  }

  async cancel(m: WebhookMessage, owner: string) {
    const rows = await this.db.query(
      "UPDATE webhook_messages SET status = 'cancelled', next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2 RETURNING 1",
      [m.id, owner],
    );
    return rows.length > 0;
  }

  async listMessages(q: MessageQuery) {
    const params: unknown[] = [q.workspaceId, q.endpointId, q.limit];
    const where = ['workspace_id = $1', 'endpoint_id = $2'];
    if (q.status) where.push(`status = $${params.push(q.status)}`);
    if (q.since !== undefined) where.push(`created_at >= $${params.push(q.since)}`);
    return (await this.db.query(`SELECT ${MESSAGE_COLUMNS} FROM webhook_messages WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $3`, params)).map(
      messageFromRow,
    );
  }

  async attemptsOf(messageIds: readonly string[]) {
    if (messageIds.length === 0) return [];
    return (await this.db.query('SELECT * FROM webhook_attempts WHERE message_id = ANY($1::text[]) ORDER BY message_id, n', [messageIds])).map(attemptFromRow);
  }

  async getMessage(workspaceId: string, endpointId: string, id: string) {
    const [r] = await this.db.query(`SELECT ${MESSAGE_COLUMNS} FROM webhook_messages WHERE id = $1 AND workspace_id = $2 AND endpoint_id = $3`, [id, workspaceId, endpointId]);
    return r ? messageFromRow(r) : undefined;
  }

  async resend(workspaceId: string, endpointId: string, sel: { id: string } | { since: number; until: number }, now: number) {
    const base = "UPDATE webhook_messages SET status = 'pending', step = 0, next_attempt_at = $1 WHERE workspace_id = $2 AND endpoint_id = $3 AND ";
    const rows =
      'id' in sel
        ? await this.db.query(base + 'id = $4 RETURNING 1', [now, workspaceId, endpointId, sel.id])
        : await this.db.query(base + 'created_at >= $4 AND created_at < $5 RETURNING 1', [now, workspaceId, endpointId, sel.since, sel.until]);
    return rows.length;
  }
}
