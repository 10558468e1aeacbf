/**
 * The live feed of counted visits as Server-Sent Events (@fastify/sse): a member's visitors
 * (admin, or the member) and the whole workspace's (admin). Each event is `profile.visited`
 * with the log position as its id and the same data as the webhook; Last-Event-ID resumes
 * after that position. Rules in docs/webhooks.md#live-feed.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import sseModule, { type fastifySSE } from '@fastify/sse';
import { Type } from 'typebox';
import { AppError, assertMaySeeViewers, getMember } from '../../core/index.js';
import { actingMember, requireAdmin } from '../plugins/core.js';
import type { LiveFeed } from '../../webhooks/live-feed.js';
import * as S from './schemas.js';

declare module 'fastify' {
  interface FastifyInstance {
    liveFeed: LiveFeed;
    feedHeartbeatMs: number;
  }
}

const LastEventId = Type.Object({
  'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'resume after this log position' })),
});

export async function feedRoutes(fastify: FastifyInstance) {
  // The package's CommonJS export is the plugin wrapped with fastify-plugin (so its decorators
  // reach these routes); its typings describe the module instead.
  const sse = sseModule as unknown as typeof fastifySSE;
  await fastify.register(sse, { heartbeatInterval: fastify.feedHeartbeatMs });
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['live feed'];

  async function stream(request: FastifyRequest, reply: FastifyReply, workspaceId: string, profileId: string | null) {
    const raw = request.headers['last-event-id'];
    const after = typeof raw === 'string' ? Number(raw) : await app.liveFeed.head(workspaceId);
    if (!Number.isSafeInteger(after)) throw new AppError('invalid_input', 'Last-Event-ID must be a log position');
    reply.sse.keepAlive();
    reply.sse.sendHeaders();
    // Headers out now, not with the first event or heartbeat: the client knows it is connected.
    reply.raw.flushHeaders();
    const unsubscribe = app.liveFeed.open(
      workspaceId,
      profileId,
      after,
      (ev) => reply.sse.send({ id: String(ev.position), event: 'profile.visited', data: ev.data }),
      () => reply.sse.close(),
    );
    reply.sse.onClose(unsubscribe);
  }

  // 'manual': the stream is served whatever the Accept header says (no 406 in a foreign error
  // shape for a client that sent application/json out of habit).
  const description =
    'Server-Sent Events: each counted visit as a `profile.visited` event whose id is its log position, with the data of the profile.visited webhook. Send Last-Event-ID to resume. Heartbeat comments keep the connection open; a client that does not keep up is disconnected.';

  app.get(
    '/members/:memberId/visitors/stream',
    {
      sse: { kind: 'manual' },
      schema: { tags, description, params: Type.Object({ memberId: S.Id }), headers: LastEventId, response: { ...S.errorResponses } },
    },
    async (request, reply) => {
      const { principal, memberId } = actingMember(request, request.params.memberId, 'memberId');
      // Reciprocity, as on every surface a member reads: a free member browsing privately gets a 403.
      assertMaySeeViewers(await getMember(app.core, principal.workspace, memberId));
      await stream(request, reply, principal.workspace.id, memberId);
    },
  );

  app.get(
    '/visits/stream',
    { sse: { kind: 'manual' }, schema: { tags, description, headers: LastEventId, response: { ...S.errorResponses } } },
    async (request, reply) => {
      const { workspace } = requireAdmin(request);
      await stream(request, reply, workspace.id, null);
    },
  );
}
