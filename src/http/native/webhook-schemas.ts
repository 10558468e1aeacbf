/** TypeBox schemas of the webhook endpoints routes (native API). */
import { Type } from 'typebox';
import { Nullable, StringEnum } from '../schema-helpers.js';
import { SUBSCRIBABLE_EVENTS } from '../../webhooks/types.js';

const Millis = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'epoch milliseconds' });
const EventName = StringEnum(SUBSCRIBABLE_EVENTS, { description: 'an event, or * for every event' });
const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'http or https URL receiving POSTs' });
const Description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()]);

export const WebhookParams = Type.Object({ webhookId: Type.String({ minLength: 1, maxLength: 64 }) });
export const MessageParams = Type.Object({ webhookId: Type.String({ minLength: 1, maxLength: 64 }), messageId: Type.String({ minLength: 1, maxLength: 64 }) });

export const CreateWebhookBody = Type.Object(
  {
    url: Url,
    events: Type.Array(EventName, { minItems: 1, maxItems: 10 }),
    description: Type.Optional(Description),
  },
  { additionalProperties: false },
);

export const PatchWebhookBody = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(Type.Array(EventName, { minItems: 1, maxItems: 10 })),
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean({ description: 'true re-enables an endpoint (also one disabled by failures or a 410); its waiting messages are then delivered' })),
  },
  { additionalProperties: false },
);

export const WebhookEndpoint = Type.Object({
  id: Type.String(),
  url: Type.String(),
  description: Nullable(Type.String()),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabledAt: Nullable(Millis),
  disabledReason: Nullable(Type.String({ description: 'why it was disabled: by an administrator, a 410, or 5 days of failed attempts' })),
  failingSince: Nullable(Millis),
  previousSecretExpiresAt: Nullable(Millis),
  createdAt: Millis,
  updatedAt: Millis,
});

export const WebhookWithSecret = Type.Intersect([
  WebhookEndpoint,
  Type.Object({ secret: Type.String({ description: 'whsec_ + base64: the signing secret, shown once' }) }),
]);

export const DeliveriesQuery = Type.Object({
  status: Type.Optional(StringEnum(['pending', 'delivered', 'failed', 'cancelled'] as const)),
  since: Type.Optional(Millis),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
});

export const Attempt = Type.Object({
  n: Type.Integer(),
  attemptedAt: Millis,
  statusCode: Nullable(Type.Integer({ description: 'null when no HTTP response came' })),
  error: Nullable(Type.String({ description: 'network error, timeout, refusal, or the non-2xx status' })),
  durationMs: Type.Integer(),
  responseBody: Nullable(Type.String({ description: 'first 1 KB of the response body' })),
});

export const Delivery = Type.Object({
  id: Type.String({ description: 'the message id, sent as webhook-id on every attempt' }),
  event: Type.String(),
  status: Type.String({ description: 'pending, delivered, failed or cancelled' }),
  occurredAt: Millis,
  createdAt: Millis,
  attemptCount: Type.Integer(),
  nextAttemptAt: Nullable(Millis),
  attempts: Type.Array(Attempt),
});

export const DeliveriesPage = Type.Object({ deliveries: Type.Array(Delivery) });

export const ReplayBody = Type.Object({ since: Millis, until: Millis }, { additionalProperties: false });
export const ReplayResult = Type.Object({ replayed: Type.Integer({ description: 'messages due again' }) });
export const Queued = Type.Object({ messageId: Type.String(), status: Type.String() });
