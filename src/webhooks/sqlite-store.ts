/**
 * Webhook tables on the SQLite file. Writes from the request thread go through the store's
 * write API and so its write gate (so they take turns with the fold thread rather than stall on its lock); several
 * processes on one file meet at SQLite's write lock, which makes each claim (one UPDATE)
 * atomic: two processes never lease the same message.
 */
import type Database from 'better-sqlite3';
import type { SqliteDb } from '../storage/sqlite/database.js';
import type { SqliteWrites } from '../storage/sqlite/writes.js';
import type { EndpointPatch, MessageQuery, RecordedAttempt, WebhookStore } from './store.js';
import type { MemberChange, VisitLogEntry, VisitLogHead } from '../core/index.js';
import { SqliteCheckpoints } from '../storage/sqlite/projection-checkpoints.js';
import { MEMBER_EVENTS_PROJECTION, OUTBOX_PROJECTION } from './outbox-name.js';
import type { NewMessage, WebhookEndpoint, WebhookMessage } from './types.js';
import { ENDPOINT_COLUMNS, MESSAGE_COLUMNS, attemptFromRow, endpointFromRow, messageFromRow } from './rows.js';

const DUE = "status = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until < @now)";

/** An erased member leaves the outbox: their profile.visited messages lose their payload and are cancelled. */
const FORGET = `UPDATE webhook_messages SET payload = '{}', status = 'cancelled', next_attempt_at = NULL
  WHERE workspace_id = ? AND event = 'profile.visited'
    AND (json_extract(payload, '$.viewerId') = ? OR json_extract(payload, '$.profileId') = ?)`;
const INSERT_MESSAGE = `INSERT INTO webhook_messages (${MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?) ON CONFLICT (id) DO NOTHING`;

export class SqliteWebhookStore implements WebhookStore {
  /**
   * The delivery path's statements, prepared once: compiling the SQL again for every message
   * cost as much as running it (docs/webhooks.md, "Measured").
   */
  private statements = new Map<string, Database.Statement<unknown[]>>();

  constructor(
    private db: SqliteDb,
    private writes: SqliteWrites,
  ) {}

  private checkpointsOnce?: SqliteCheckpoints;
  /** Prepared once, on first use (the runner asks for checkpoints every tick). */
  private get checkpoints(): SqliteCheckpoints {
    return (this.checkpointsOnce ??= new SqliteCheckpoints(this.db));
  }

  private stmt(sql: string) {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  /** Through the store's write API (storage/sqlite/writes.ts): no read cache holds webhook tables. */
  private write<T>(fn: () => T): Promise<T> {
    return this.writes.main('unseen', fn);
  }

  async createEndpoint(e: WebhookEndpoint) {
    await this.write(() =>
      this.db
        .prepare(`INSERT INTO webhook_endpoints (${ENDPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, ?, ?)`)
        .run(e.workspaceId, e.id, e.url, e.description, JSON.stringify(e.events), e.enabled ? 1 : 0, e.secret, e.createdAt, e.updatedAt),
    );
  }

  async getEndpoint(workspaceId: string, id: string) {
    const r = this.db.prepare(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = ? AND id = ?`).get(workspaceId, id);
    return r ? endpointFromRow(r) : undefined;
  }

  async listEndpoints(workspaceId: string) {
    return this.db.prepare(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = ? ORDER BY created_at, id`).all(workspaceId).map(endpointFromRow);
  }

  async enabledEndpoints(workspaceId: string) {
    return this.db.prepare(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = ? AND enabled = 1`).all(workspaceId).map(endpointFromRow);
  }

  async getEndpointsByIds(ids: readonly string[]) {
    return this.stmt(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(ids))
      .map(endpointFromRow);
  }

  async updateEndpoint(workspaceId: string, id: string, patch: EndpointPatch, now: number) {
    await this.write(() => {
      const sets: string[] = [];
      const params: Record<string, unknown> = { ws: workspaceId, id, now };
      if (patch.url !== undefined) (sets.push('url = @url'), (params.url = patch.url));
      if (patch.events !== undefined) (sets.push('events = @events'), (params.events = JSON.stringify(patch.events)));
      if (patch.description !== undefined) (sets.push('description = @description'), (params.description = patch.description));
      if (patch.enabled === true) sets.push('enabled = 1, disabled_at = NULL, disabled_reason = NULL, failing_since = NULL');
      if (patch.enabled === false) sets.push("enabled = 0, disabled_at = @now, disabled_reason = 'disabled by an administrator'");
      sets.push('updated_at = @now');
      this.db.prepare(`UPDATE webhook_endpoints SET ${sets.join(', ')} WHERE workspace_id = @ws AND id = @id`).run(params);
    });
    return this.getEndpoint(workspaceId, id);
  }

  async rotateSecret(workspaceId: string, id: string, secret: string, previousUntil: number, now: number) {
    await this.write(() =>
      this.db
        .prepare(
          'UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = ?, secret = ?, updated_at = ? WHERE workspace_id = ? AND id = ?',
        )
        .run(previousUntil, secret, now, workspaceId, id),
    );
    return this.getEndpoint(workspaceId, id);
  }

  async deleteEndpoint(workspaceId: string, id: string) {
    return this.write(() => {
      const gone = this.db.prepare('DELETE FROM webhook_endpoints WHERE workspace_id = ? AND id = ?').run(workspaceId, id).changes > 0;
      if (gone) {
        this.db
          .prepare('DELETE FROM webhook_attempts WHERE message_id IN (SELECT id FROM webhook_messages WHERE workspace_id = ? AND endpoint_id = ?)')
          .run(workspaceId, id);
        this.db.prepare('DELETE FROM webhook_messages WHERE workspace_id = ? AND endpoint_id = ?').run(workspaceId, id);
      }
      return gone;
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
    await this.checkpoints.applyLogged(this.writes, OUTBOX_PROJECTION, workspaceId, entries, (fresh) => {
      const endpoints = this.stmt(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = ?`)
        .all(workspaceId)
        .map(endpointFromRow)
        .filter((e) => e.events.includes(event) || e.events.includes('*'));
      if (endpoints.length === 0) return;
      written = this.insertMessages(toMessages(endpoints, fresh), now);
    });
    return written;
  }

  async skipTo(heads: readonly VisitLogHead[]) {
    await this.write(() => {
      const up = this.db.prepare(
        `INSERT INTO main.projection_checkpoints (name, workspace_id, position, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name, workspace_id) DO UPDATE SET position = max(position, excluded.position), updated_at = excluded.updated_at`,
      );
      for (const h of heads) up.run(OUTBOX_PROJECTION, h.workspaceId, h.position, Date.now());
    });
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
    await this.checkpoints.apply(this.writes, MEMBER_EVENTS_PROJECTION, workspaceId, changes, (fresh) => {
      for (const c of fresh) if (c.kind === 'erased') this.stmt(FORGET).run(workspaceId, c.memberId, c.memberId);
      const endpoints = this.stmt(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = ?`).all(workspaceId).map(endpointFromRow);
      if (endpoints.length === 0) return;
      written = this.insertMessages(toMessages(endpoints, fresh), now);
    });
    return written;
  }

  async enqueue(messages: readonly (NewMessage & { id: string })[], now: number) {
    if (messages.length === 0) return;
    await this.write(() => this.insertMessages(messages, now));
  }

  /** Writes new messages, pending and due at `now`, inside the caller's write; returns how many. */
  private insertMessages(messages: readonly (NewMessage & { id: string })[], now: number): number {
    const ins = this.stmt(INSERT_MESSAGE);
    for (const m of messages) ins.run(m.id, m.workspaceId, m.endpointId, m.event, m.payload, m.occurredAt, now, now);
    return messages.length;
  }

  async dueEndpoints(now: number, busy: readonly string[], limit: number) {
    // From the endpoints, each probed through its due index: a DISTINCT over the due messages
    // read the whole backlog on every round (a disabled endpoint's too).
    return this.stmt(
      `SELECT e.id FROM webhook_endpoints e
       WHERE e.enabled = 1 AND e.id NOT IN (SELECT value FROM json_each(@busy))
         AND EXISTS (SELECT 1 FROM webhook_messages m INDEXED BY webhook_messages_endpoint_due
                     WHERE m.endpoint_id = e.id AND m.workspace_id = e.workspace_id 
                       AND m.status = 'pending' AND m.next_attempt_at <= @now AND (m.lease_until IS NULL OR m.lease_until < @now))
       LIMIT @limit`,
    )
      .pluck()
      .all({ now, busy: JSON.stringify(busy), limit }) as string[];
  }

  async claim(owner: string, now: number, leaseUntil: number, wants: readonly { endpointId: string; limit: number }[]) {
    if (wants.length === 0) return [];
    // Each UPDATE is atomic under SQLite's write lock, whichever process runs it; all of them
    // in one turn at the file (one wait behind the fold thread, not one per endpoint).
    const rows = await this.write(() => {
      const lease = this.stmt(
        `UPDATE webhook_messages SET lease_owner = @owner, lease_until = @until
         WHERE id IN (SELECT id FROM webhook_messages INDEXED BY webhook_messages_endpoint_due
                      WHERE endpoint_id = @endpoint AND ${DUE} ORDER BY next_attempt_at LIMIT @limit)
         RETURNING ${MESSAGE_COLUMNS}`,
      );
      return wants.flatMap((w) => lease.all({ owner, until: leaseUntil, endpoint: w.endpointId, now, limit: w.limit }));
    });
    return rows.map(messageFromRow);
  }

  async recordAttempts(owner: string, attempts: readonly RecordedAttempt[]) {
    if (attempts.length === 0) return [];
    return this.write(() => {
      const release = this.stmt(
        `UPDATE webhook_messages SET attempts = attempts + 1, status = ?, step = ?, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL
         WHERE id = ? AND lease_owner = ? RETURNING attempts`,
      ).pluck();
      const log = this.stmt('INSERT INTO webhook_attempts (message_id, n, attempted_at, status_code, error, duration_ms, response_body) VALUES (?, ?, ?, ?, ?, ?, ?)');
      const recovered = this.stmt('UPDATE webhook_endpoints SET failing_since = NULL WHERE workspace_id = ? AND id = ? AND failing_since IS NOT NULL');
      const failing = this.stmt('UPDATE webhook_endpoints SET failing_since = ? WHERE workspace_id = ? AND id = ? AND failing_since IS NULL');
      const disable = this.stmt('UPDATE webhook_endpoints SET enabled = 0, disabled_at = ?, disabled_reason = ?, updated_at = ? WHERE workspace_id = ? AND id = ? AND enabled = 1');
      return attempts.map(({ message: m, outcome: o, now }) => {
        const n = release.get(o.status, o.step, o.nextAttemptAt, m.id, owner) as number | undefined;
        if (n === undefined) return false;
        const a = o.attempt;
        log.run(m.id, n, a.attemptedAt, a.statusCode, a.error, a.durationMs, a.responseBody);
        if (o.succeeded) recovered.run(m.workspaceId, m.endpointId);
        else failing.run(a.attemptedAt, m.workspaceId, m.endpointId);
        if (o.disable) disable.run(now, o.disable.reason, now, m.workspaceId, m.endpointId);
        return true;
      });
    });
  }

  async release(owner: string, ids: readonly string[]) {
    if (ids.length === 0) return;
    await this.write(() =>
      this.stmt('UPDATE webhook_messages SET lease_owner = NULL, lease_until = NULL WHERE id IN (SELECT value FROM json_each(?)) AND lease_owner = ?').run(JSON.stringify(ids), owner),
    );
  }

  async cancel(m: WebhookMessage, owner: string) {
    return this.write(
      () => this.stmt("UPDATE webhook_messages SET status = 'cancelled', next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?").run(m.id, owner).changes > 0,
    );
  }

  async listMessages(q: MessageQuery) {
    const where = ['workspace_id = @ws', 'endpoint_id = @ep'];
    if (q.status) where.push('status = @status');
    if (q.since !== undefined) where.push('created_at >= @since');
    return this.db
      .prepare(`SELECT ${MESSAGE_COLUMNS} FROM webhook_messages INDEXED BY webhook_messages_log WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT @limit`)
      .all({ ws: q.workspaceId, ep: q.endpointId, status: q.status ?? null, since: q.since ?? null, limit: q.limit })
      .map(messageFromRow);
  }

  async attemptsOf(messageIds: readonly string[]) {
    if (messageIds.length === 0) return [];
    return this.db
      .prepare('SELECT * FROM webhook_attempts WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY message_id, n')
      .all(JSON.stringify(messageIds))
      .map(attemptFromRow);
  }

  async getMessage(workspaceId: string, endpointId: string, id: string) {
    const r = this.db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM webhook_messages WHERE id = ? AND workspace_id = ? AND endpoint_id = ?`).get(id, workspaceId, endpointId);
    return r ? messageFromRow(r) : undefined;
  }

  async resend(workspaceId: string, endpointId: string, sel: { id: string } | { since: number; until: number }, now: number) {
    return this.write(() => {
      const base = "UPDATE webhook_messages SET status = 'pending', step = 0, next_attempt_at = @now WHERE workspace_id = @ws AND endpoint_id = @ep AND ";
      const r =
        'id' in sel
          ? this.db.prepare(base + 'id = @id').run({ now, ws: workspaceId, ep: endpointId, id: sel.id })
          : this.db.prepare(base + 'created_at >= @since AND created_at < @until').run({ now, ws: workspaceId, ep: endpointId, since: sel.since, until: sel.until });
      return r.changes;
    });
  }
}
