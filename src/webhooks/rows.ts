/** Row <-> object mapping shared by both backends (column names are the same). */
import type { WebhookAttempt, WebhookEndpoint, WebhookMessage } from './types.js';

export const ENDPOINT_COLUMNS =
  'workspace_id, id, url, description, events, enabled, secret, previous_secret, previous_secret_until, failing_since, disabled_at, disabled_reason, created_at, updated_at';
export const MESSAGE_COLUMNS = 'id, workspace_id, endpoint_id, event, payload, occurred_at, created_at, status, attempts, step, next_attempt_at';

export function endpointFromRow(r: any): WebhookEndpoint {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    url: r.url,
    description: r.description ?? null,
    events: JSON.parse(r.events) as string[],
    enabled: r.enabled === true || r.enabled === 1,
    secret: r.secret,
    previousSecret: r.previous_secret ?? null,
    previousSecretUntil: num(r.previous_secret_until),
    failingSince: num(r.failing_since),
    disabledAt: num(r.disabled_at),
    disabledReason: r.disabled_reason ?? null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function messageFromRow(r: any): WebhookMessage {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    endpointId: r.endpoint_id,
    event: r.event,
    payload: r.payload,
    occurredAt: Number(r.occurred_at),
    createdAt: Number(r.created_at),
    status: r.status,
    attempts: Number(r.attempts),
    step: Number(r.step),
    nextAttemptAt: num(r.next_attempt_at),
  };
}

export function attemptFromRow(r: any): WebhookAttempt {
  return {
    messageId: r.message_id,
    n: Number(r.n),
    attemptedAt: Number(r.attempted_at),
    statusCode: r.status_code === null || r.status_code === undefined ? null : Number(r.status_code),
    error: r.error ?? null,
    durationMs: Number(r.duration_ms),
    responseBody: r.response_body ?? null,
  };
}

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}
