/**
 * What `/metrics` shows of webhook delivery, read from the outbox tables of the shared database
 * (so every process reads the same figures): the queue (pending messages, and those of them
 * whose last attempt failed) and the endpoints failing or disabled. Read-only, and cheap enough
 * to run at each scrape: the pending messages are found through the partial index on pending
 * rows (each joined to its endpoint by primary key), and endpoints are few.
 */
import type { Store } from '../core/index.js';
import type { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import type { PostgresStore } from '../storage/postgres/postgres-store.js';

export interface WebhookStats {
  /** Messages waiting to be delivered (due now or later), every workspace. */
  pending: number;
  /** Of those, the ones already attempted and failed, waiting for a retry. */
  retrying: number;
  /** Of those, the ones held for a disabled endpoint (sent if it is enabled again, docs/webhooks.md). */
  held: number;
  /** Enabled endpoints whose last attempt failed. */
  failingEndpoints: number;
  /** Endpoints disabled (by an administrator, a 410, or failing for too long). */
  disabledEndpoints: number;
}

// `enabled` is 0/1 on SQLite, a boolean on PostgreSQL; otherwise the two read alike.
const SQLITE_QUEUE = `
SELECT count(*) AS pending, count(CASE WHEN m.attempts > 0 THEN 1 END) AS retrying, count(CASE WHEN e.enabled = 0 THEN 1 END) AS held
FROM webhook_messages m LEFT JOIN webhook_endpoints e ON e.workspace_id = m.workspace_id AND e.id = m.endpoint_id
WHERE m.status = 'pending'`;
const PG_QUEUE = `
SELECT count(*) AS pending, count(*) FILTER (WHERE m.attempts > 0) AS retrying, count(*) FILTER (WHERE NOT e.enabled) AS held
FROM webhook_messages m LEFT JOIN webhook_endpoints e ON e.workspace_id = m.workspace_id AND e.id = m.endpoint_id
WHERE m.status = 'pending'`;

export function webhookStatsReader(store: Store): () => Promise<WebhookStats> {
  if (store.kind === 'sqlite') {
    const db = (store as SqliteStore).raw;
    const messages = db.prepare(SQLITE_QUEUE);
    const endpoints = db.prepare(
      'SELECT count(CASE WHEN enabled = 1 AND failing_since IS NOT NULL THEN 1 END) AS failing, count(CASE WHEN enabled = 0 THEN 1 END) AS disabled FROM webhook_endpoints',
    );
    return async () => {
      const q = messages.get() as { pending: number; retrying: number; held: number };
      const e = endpoints.get() as { failing: number; disabled: number };
      return { pending: q.pending, retrying: q.retrying, held: q.held, failingEndpoints: e.failing, disabledEndpoints: e.disabled };
    };
  }
  const db = (store as PostgresStore).db;
  return async () => {
    const [[q], [e]] = await Promise.all([
      db.query<{ pending: string; retrying: string; held: string }>(PG_QUEUE),
      db.query<{ failing: string; disabled: string }>(
        'SELECT count(*) FILTER (WHERE enabled AND failing_since IS NOT NULL) AS failing, count(*) FILTER (WHERE NOT enabled) AS disabled FROM webhook_endpoints',
      ),
    ]);
    // count(*) is a bigint, which pg hands over as a string.
    return {
      pending: Number(q!.pending),
      retrying: Number(q!.retrying),
      held: Number(q!.held),
      failingEndpoints: Number(e!.failing),
      disabledEndpoints: Number(e!.disabled),
    };
  };
}
