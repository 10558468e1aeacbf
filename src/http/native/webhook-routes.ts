/**
 * Webhook endpoints of the native API (admin keys): create, list, read, change, delete, rotate
 * the secret, send a test event, the delivery log, retry and replay. Rules in docs/webhooks.md.
 * Every change is audited like the console's (docs/privacy-controls.md, "Audit log"): never a
 * signing secret, and never a full URL (receivers often carry a token in the path or query).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { recordAudit } from '../../core/index.js';
import { requireAdmin } from '../plugins/core.js';
import type { Delivery } from '../../webhooks/service.js';
import type { WebhookEndpoint } from '../../webhooks/types.js';
import type { WebhookService } from '../../webhooks/service.js';
import * as S from './schemas.js';
import * as W from './webhook-schemas.js';
import { feedRoutes } from './feed-routes.js';
import { actorOf } from './audit-routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: WebhookService;
  }
}

function presentEndpoint(e: WebhookEndpoint) {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: e.events,
    enabled: e.enabled,
    disabledAt: e.disabledAt,
    disabledReason: e.disabledReason,
    failingSince: e.failingSince,
    previousSecretExpiresAt: e.previousSecret ? e.previousSecretUntil : null,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

function presentDelivery(d: Delivery) {
  return {
    id: d.id,
    event: d.event,
    status: d.status,
    occurredAt: d.occurredAt,
    createdAt: d.createdAt,
    attemptCount: d.attempts,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
    attempts: d.attemptList.map((a) => ({ n: a.n, attemptedAt: a.attemptedAt, statusCode: a.statusCode, error: a.error, durationMs: a.durationMs, responseBody: a.responseBody })),
  };
}

export async function webhookRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['webhooks'];
  const hooks = () => app.webhooks;
  await app.register(feedRoutes);

  app.post(
    '/webhooks',
    {
      schema: {
        tags,
        description: 'Create an endpoint. The answer carries its signing secret, shown this once.',
        body: W.CreateWebhookBody,
        response: { 201: W.WebhookWithSecret, ...S.errorResponses },
      },
    },
    async (request, reply) => {
      const { workspace } = requireAdmin(request);
      const e = await hooks().create(workspace.id, request.body);
      await recordAudit(app.core, workspace, actorOf(request), 'webhook.created', e.id, { origin: new URL(e.url).origin, events: e.events });
      return reply.status(201).send({ ...presentEndpoint(e), secret: e.secret });
    },
  );

  app.get('/webhooks', { schema: { tags, response: { 200: Type.Object({ webhooks: Type.Array(W.WebhookEndpoint) }), ...S.errorResponses } } }, async (request) => {
    const { workspace } = requireAdmin(request);
    return { webhooks: (await hooks().list(workspace.id)).map(presentEndpoint) };
  });

  app.get('/webhooks/:webhookId', { schema: { tags, params: W.WebhookParams, response: { 200: W.WebhookEndpoint, ...S.errorResponses } } }, async (request) => {
    const { workspace } = requireAdmin(request);
    return presentEndpoint(await hooks().get(workspace.id, request.params.webhookId));
  });

  app.patch(
    '/webhooks/:webhookId',
    { schema: { tags, params: W.WebhookParams, body: W.PatchWebhookBody, response: { 200: W.WebhookEndpoint, ...S.errorResponses } } },
    async (request) => {
      const { workspace } = requireAdmin(request);
      const e = await hooks().update(workspace.id, request.params.webhookId, request.body);
      // Which fields were sent (and the new state, which the console's buttons record too), not the URL.
      const { enabled } = request.body;
      await recordAudit(app.core, workspace, actorOf(request), 'webhook.updated', e.id, { fields: Object.keys(request.body).sort(), ...(enabled === undefined ? {} : { enabled }) });
      return presentEndpoint(e);
    },
  );

  app.delete('/webhooks/:webhookId', { schema: { tags, params: W.WebhookParams, response: { 204: Type.Null(), ...S.errorResponses } } }, async (request, reply) => {
    const { workspace } = requireAdmin(request);
    await hooks().remove(workspace.id, request.params.webhookId);
    await recordAudit(app.core, workspace, actorOf(request), 'webhook.deleted', request.params.webhookId);
    return reply.status(204).send(null);
  });

  app.post(
    '/webhooks/:webhookId/rotate-secret',
    {
      schema: {
        tags,
        description: 'A new signing secret (shown once). The previous one keeps signing beside it for 24 hours: each message then carries two signatures.',
        params: W.WebhookParams,
        response: { 200: W.WebhookWithSecret, ...S.errorResponses },
      },
    },
    async (request) => {
      const { workspace } = requireAdmin(request);
      const e = await hooks().rotateSecret(workspace.id, request.params.webhookId);
      await recordAudit(app.core, workspace, actorOf(request), 'webhook.secret_rotated', e.id);
      return { ...presentEndpoint(e), secret: e.secret };
    },
  );

  app.post(
    '/webhooks/:webhookId/test',
    { schema: { tags, description: 'Sends a webhook.test event to this endpoint.', params: W.WebhookParams, response: { 202: W.Queued, ...S.errorResponses } } },
    async (request, reply) => {
      const { workspace } = requireAdmin(request);
      const m = await hooks().test(workspace.id, request.params.webhookId);
      await recordAudit(app.core, workspace, actorOf(request), 'webhook.tested', request.params.webhookId, { messageId: m.id });
      return reply.status(202).send({ messageId: m.id, status: m.status });
    },
  );

  app.get(
    '/webhooks/:webhookId/deliveries',
    {
      schema: {
        tags,
        description: 'Messages to this endpoint, newest first, each with every attempt.',
        params: W.WebhookParams,
        querystring: W.DeliveriesQuery,
        response: { 200: W.DeliveriesPage, ...S.errorResponses },
      },
    },
    async (request) => {
      const { workspace } = requireAdmin(request);
      const q = request.query;
      const list = await hooks().deliveries(workspace.id, request.params.webhookId, {
        limit: q.limit,
        ...(q.status ? { status: q.status } : {}),
        ...(q.since !== undefined ? { since: q.since } : {}),
      });
      return { deliveries: list.map(presentDelivery) };
    },
  );

  app.post(
    '/webhooks/:webhookId/deliveries/:messageId/retry',
    {
      schema: { tags, description: 'Makes the message due now, its schedule restarted; same webhook-id.', params: W.MessageParams, response: { 202: W.Queued, ...S.errorResponses } },
    },
    async (request, reply) => {
      const { workspace } = requireAdmin(request);
      const m = await hooks().retry(workspace.id, request.params.webhookId, request.params.messageId);
      await recordAudit(app.core, workspace, actorOf(request), 'webhook.retried', request.params.webhookId, { messageId: m.id });
      return reply.status(202).send({ messageId: m.id, status: m.status });
    },
  );

  app.post(
    '/webhooks/:webhookId/replay',
    {
      schema: {
        tags,
        description: 'Sends again every message to this endpoint created in [since, until), whatever became of it; same webhook-ids.',
        params: W.WebhookParams,
        body: W.ReplayBody,
        response: { 202: W.ReplayResult, ...S.errorResponses },
      },
    },
    async (request, reply) => {
      const { workspace } = requireAdmin(request);
      const { since, until } = request.body;
      const replayed = await hooks().replay(workspace.id, request.params.webhookId, since, until);
      await recordAudit(app.core, workspace, actorOf(request), 'webhook.replayed', request.params.webhookId, { since, until, replayed });
      return reply.status(202).send({ replayed });
    },
  );
}
