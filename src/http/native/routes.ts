/** The native REST API (/v1). Routes declare schemas and call use cases; nothing else. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  AppError,
  addConnection,
  blockMember,
  listBlocks,
  unblockMember,
  createApiKey,
  eraseMember,
  getMember,
  listApiKeys,
  listConnections,
  listViewers,
  recordAudit,
  recordVisit,
  recordVisits,
  removeConnection,
  revokeApiKey,
  setApiKeyCredits,
  upsertMember,
  updateWorkspaceSettings,
} from '../../core/index.js';
import { useErrorPresenter } from '../errors.js';
import { requireApiKey, fromEither } from '../plugins/auth.js';
import { actingMember, principalOf, requireAdmin } from '../plugins/core.js';
import { presentKey, presentNativeError, presentViewer } from './presenters.js';
import * as S from './schemas.js';
import { actorOf, auditRoutes } from './audit-routes.js';
import { exportRoutes } from './export-routes.js';
import { webhookRoutes } from './webhook-routes.js';

const MemberParams = Type.Object({ memberId: S.Id });

export async function nativeRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  useErrorPresenter(app, presentNativeError);
  requireApiKey(app, fromEither);
  const deps = app.core;
  const tags = ['native'];
  await app.register(webhookRoutes);

  /** A member key may only touch its own member. */
  const ownOrAdmin = (request: Parameters<typeof principalOf>[0], memberId: string) => actingMember(request, memberId, 'memberId');

  app.get('/workspace', { schema: { tags, response: { 200: S.Workspace, ...S.errorResponses } } }, async (request) => {
    return requireAdmin(request).workspace;
  });

  app.patch(
    '/workspace/settings',
    { schema: { tags, body: S.SettingsPatch, response: { 200: S.Workspace, ...S.errorResponses } } },
    async (request) => {
      const { workspace } = requireAdmin(request);
      const updated = await updateWorkspaceSettings(deps, workspace, request.body);
      app.authenticator.forget();
      await recordAudit(deps, workspace, actorOf(request), 'settings.updated', workspace.id, { changed: request.body });
      return updated;
    },
  );

  app.put(
    '/members/:memberId',
    { schema: { tags, params: MemberParams, body: S.MemberProfile, response: { 200: S.Member, ...S.errorResponses } } },
    async (request) => {
      const { workspace } = requireAdmin(request);
      const member = await upsertMember(deps, workspace, { ...request.body, id: request.params.memberId });
      // Which fields were sent, not their values: the log is no second copy of profiles.
      await recordAudit(deps, workspace, actorOf(request), 'member.upserted', member.id, { fields: Object.keys(request.body).sort() });
      return member;
    },
  );

  app.get(
    '/members/:memberId',
    { schema: { tags, params: MemberParams, response: { 200: S.Member, ...S.errorResponses } } },
    async (request) => {
      const { principal, memberId } = ownOrAdmin(request, request.params.memberId);
      return getMember(deps, principal.workspace, memberId);
    },
  );

  app.delete(
    '/members/:memberId',
    {
      schema: {
        tags,
        description: 'Erase a member: their profile, their visits as owner and as viewer, their connections; their keys are revoked.',
        params: MemberParams,
        response: { 204: Type.Null(), ...S.errorResponses },
      },
    },
    async (request, reply) => {
      const { workspace } = requireAdmin(request);
      await eraseMember(deps, workspace, request.params.memberId);
      app.authenticator.forget();
      await recordAudit(deps, workspace, actorOf(request), 'member.erased', request.params.memberId);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/members/:memberId/visitors',
    { schema: { tags, params: MemberParams, querystring: S.VisitorsQuery, response: { 200: S.VisitorsPage, ...S.errorResponses } } },
    async (request) => {
      const { principal, memberId } = ownOrAdmin(request, request.params.memberId);
      const q = request.query;
      if (q.since !== undefined && q.until !== undefined && q.until <= q.since) {
        throw new AppError('invalid_input', 'until must be after since');
      }
      const page = await listViewers(deps, principal.workspace, {
        ownerId: memberId,
        offset: q.offset,
        limit: q.limit,
        since: q.since,
        until: q.until,
        withDegrees: q.degrees,
      });
      return {
        memberId,
        total: page.total,
        offset: q.offset,
        limit: q.limit,
        nextOffset: q.offset + q.limit < page.total ? q.offset + q.limit : null,
        since: page.since,
        until: page.until,
        viewers: page.viewers.map(presentViewer),
      };
    },
  );

  const ConnectionParams = Type.Object({ memberId: S.Id, otherId: S.Id });
  const ConnectionResult = Type.Object({ memberId: Type.String(), otherId: Type.String(), connected: Type.Boolean(), changed: Type.Boolean() });

  app.get(
    '/members/:memberId/connections',
    {
      schema: {
        tags,
        params: MemberParams,
        querystring: Type.Object({
          offset: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: { 200: Type.Object({ total: Type.Integer(), connections: Type.Array(Type.String()) }), ...S.errorResponses },
      },
    },
    async (request) => {
      const { principal, memberId } = ownOrAdmin(request, request.params.memberId);
      const { total, ids } = await listConnections(deps, principal.workspace, memberId, request.query.offset, request.query.limit);
      return { total, connections: ids };
    },
  );

  app.put(
    '/members/:memberId/connections/:otherId',
    { schema: { tags, params: ConnectionParams, response: { 200: ConnectionResult, ...S.errorResponses } } },
    async (request) => {
      const { workspace } = requireAdmin(request);
      const r = await addConnection(deps, workspace, request.params.memberId, request.params.otherId);
      return { memberId: r.memberId, otherId: r.otherId, connected: true, changed: r.created };
    },
  );

  app.delete(
    '/members/:memberId/connections/:otherId',
    { schema: { tags, params: ConnectionParams, response: { 200: ConnectionResult, ...S.errorResponses } } },
    async (request) => {
      const { workspace } = requireAdmin(request);
      const r = await removeConnection(deps, workspace, request.params.memberId, request.params.otherId);
      return { memberId: r.memberId, otherId: r.otherId, connected: false, changed: r.removed };
    },
  );

  const BlockParams = Type.Object({ memberId: S.Id, otherId: S.Id });
  const blocksDoc = 'Blocks work both ways: neither member appears among the other\'s viewers on any surface (past visits included, totals too), and visits between them are acknowledged with status `blocked` and not stored.';

  app.get(
    '/members/:memberId/blocks',
    {
      schema: {
        tags,
        description: 'The blocks this member made (admin, or the member).',
        params: MemberParams,
        response: { 200: Type.Object({ memberId: Type.String(), blocks: Type.Array(S.Block) }), ...S.errorResponses },
      },
    },
    async (request) => {
      const { principal, memberId } = ownOrAdmin(request, request.params.memberId);
      return { memberId, blocks: await listBlocks(deps, principal.workspace, memberId) };
    },
  );

  app.put(
    '/members/:memberId/blocks/:otherId',
    { schema: { tags, description: blocksDoc, params: BlockParams, response: { 200: S.BlockResult, ...S.errorResponses } } },
    async (request) => {
      const { principal, memberId } = ownOrAdmin(request, request.params.memberId);
      const r = await blockMember(deps, principal.workspace, memberId, request.params.otherId);
      await recordAudit(deps, principal.workspace, actorOf(request), 'block.added', r.memberId, { otherId: r.otherId, changed: r.created });
      return { memberId: r.memberId, otherId: r.otherId, blocked: true, changed: r.created };
    },
  );

  app.delete(
    '/members/:memberId/blocks/:otherId',
    { schema: { tags, description: 'Remove a block: what was stored before it shows again.', params: BlockParams, response: { 200: S.BlockResult, ...S.errorResponses } } },
    async (request) => {
      const { principal, memberId } = ownOrAdmin(request, request.params.memberId);
      const r = await unblockMember(deps, principal.workspace, memberId, request.params.otherId);
      await recordAudit(deps, principal.workspace, actorOf(request), 'block.removed', r.memberId, { otherId: r.otherId, changed: r.removed });
      return { memberId: r.memberId, otherId: r.otherId, blocked: false, changed: r.removed };
    },
  );

  app.post(
    '/visits',
    { schema: { tags, body: S.Visit, response: { 200: S.VisitResult, 201: S.VisitResult, 409: S.ErrorBody, 422: S.ErrorBody, ...S.errorResponses } } },
    async (request, reply) => {
      const { workspace } = requireAdmin(request);
      const result = await recordVisit(deps, workspace, request.body);
      if (!result.ok) throw new AppError('internal', 'unexpected');
      request.server.metrics?.countAcknowledged([result.status]);
      return reply.status(result.status === 'recorded' ? 201 : 200).send(result.visitId === undefined ? { status: result.status } : { status: result.status, visitId: result.visitId });
    },
  );

  app.post(
    '/visits/batch',
    {
      schema: { tags, body: S.BatchBody, response: { 200: S.BatchResponse, ...S.errorResponses } },
      // Items are validated one by one in the core so that one bad item does not sink the batch;
      // here only the envelope is checked. The schema above still documents the item shape.
      validatorCompiler: () => (body: unknown) => {
        const visits = (body as { visits?: unknown } | null)?.visits;
        if (!Array.isArray(visits)) return { error: new Error('body must be an object with a visits array') };
        if (visits.length > 10_000) return { error: new Error('a batch holds at most 10000 visits') };
        return { value: body };
      },
    },
    async (request) => {
      const { workspace } = requireAdmin(request);
      const results = await recordVisits(deps, workspace, request.body.visits);
      request.server.metrics?.countAcknowledged(results.flatMap((r) => (r.ok ? [r.status] : [])));
      const counts = { recorded: 0, deduplicated: 0, replayed: 0, ignored: 0, rejected: 0 };
      const out = results.map((r, index) => {
        if (!r.ok) {
          counts.rejected++;
          const e = r.error;
          return { index, status: 'error' as const, error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } };
        }
        if (r.status === 'self_view' || r.status === 'blocked') counts.ignored++;
        else counts[r.status]++;
        return r.visitId === undefined ? { index, status: r.status } : { index, status: r.status, visitId: r.visitId };
      });
      return { ...counts, results: out };
    },
  );

  app.get('/keys', { schema: { tags, response: { 200: Type.Object({ keys: Type.Array(S.ApiKey) }), ...S.errorResponses } } }, async (request) => {
    const { workspace } = requireAdmin(request);
    return { keys: (await listApiKeys(deps, workspace)).map(presentKey) };
  });

  app.post(
    '/keys',
    {
      schema: {
        tags,
        body: S.CreateKeyBody,
        response: { 201: Type.Intersect([S.ApiKey, Type.Object({ secret: Type.String({ description: 'shown once' }) })]), ...S.errorResponses },
      },
    },
    async (request, reply) => {
      const { workspace } = requireAdmin(request);
      const { key, secret } = await createApiKey(deps, workspace, request.body);
      await recordAudit(deps, workspace, actorOf(request), 'key.created', key.id, { role: key.role, memberId: key.memberId, credits: key.credits });
      return reply.status(201).send({ ...presentKey(key), secret });
    },
  );

  const KeyParams = Type.Object({ keyId: Type.String({ minLength: 1, maxLength: 64 }) });

  app.delete('/keys/:keyId', { schema: { tags, params: KeyParams, response: { 204: Type.Null(), ...S.errorResponses } } }, async (request, reply) => {
    const { workspace } = requireAdmin(request);
    await revokeApiKey(deps, workspace, request.params.keyId);
    app.authenticator.forget();
    await recordAudit(deps, workspace, actorOf(request), 'key.revoked', request.params.keyId);
    return reply.status(204).send(null);
  });

  app.put(
    '/keys/:keyId/credits',
    {
      schema: {
        tags,
        params: KeyParams,
        body: Type.Object({ credits: Type.Union([Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), Type.Null()]) }, { additionalProperties: false }),
        response: { 200: S.ApiKey, ...S.errorResponses },
      },
    },
    async (request) => {
      const { workspace } = requireAdmin(request);
      const key = await setApiKeyCredits(deps, workspace, request.params.keyId, request.body.credits);
      await recordAudit(deps, workspace, actorOf(request), 'key.credits_set', key.id, { credits: key.credits });
      return presentKey(key);
    },
  );

  await app.register(auditRoutes);
  await app.register(exportRoutes);
}
