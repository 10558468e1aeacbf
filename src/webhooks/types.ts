/** The webhooks feature's vocabulary: plain data, no driver, no HTTP. */

/** Events an endpoint may subscribe to. `webhook.test` is sent only on request (POST .../test). */
export const WEBHOOK_EVENTS = ['profile.visited', 'member.created', 'member.updated', 'member.erased', 'webhook.test'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** What a subscription may name ("*" is every event but webhook.test, which is always sent when asked). */
export const SUBSCRIBABLE_EVENTS = ['*', 'profile.visited', 'member.created', 'member.updated', 'member.erased'] as const;

export interface WebhookEndpoint {
  id: string;
  workspaceId: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  /** `whsec_` + base64. Never shown after creation or rotation. */
  secret: string;
  /** The secret replaced by the last rotation, still signing until `previousSecretUntil`. */
  previousSecret: string | null;
  previousSecretUntil: number | null;
  /** Start of the current run of failed attempts (null after a success). */
  failingSince: number | null;
  disabledAt: number | null;
  disabledReason: string | null;
  createdAt: number;
  updatedAt: number;
}

/** `cancelled`: not sent, because what it was about may no longer be told (its subject was erased or blocked). */
export type MessageStatus = 'pending' | 'delivered' | 'failed' | 'cancelled';

/** One event for one endpoint: the outbox row, plus its delivery state. */
export interface WebhookMessage {
  /** `msg_...`: the `webhook-id` header, the same on every attempt, retry and replay. */
  id: string;
  workspaceId: string;
  endpointId: string;
  event: WebhookEvent;
  /** The event's data as recorded (JSON text); rendered into the envelope at delivery time. */
  payload: string;
  /** When the event happened (epoch ms): the envelope's `timestamp`. */
  occurredAt: number;
  createdAt: number;
  status: MessageStatus;
  /** Attempts made so far. */
  attempts: number;
  /** Index in the retry schedule of the next attempt. */
  step: number;
  nextAttemptAt: number | null;
}

export interface WebhookAttempt {
  messageId: string;
  /** 1-based attempt number of the message. */
  n: number;
  attemptedAt: number;
  /** HTTP status, or null when no response came (network error, timeout, refusal). */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** The first 1 KB of the response body. */
  responseBody: string | null;
}

export interface NewMessage {
  workspaceId: string;
  endpointId: string;
  event: WebhookEvent;
  payload: string;
  occurredAt: number;
}
