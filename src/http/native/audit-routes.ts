/** The audit log's read route (GET /v1/audit) and the actor of a request, for the routes that write it. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AUDIT_ACTIONS, listAudit, type Actor } from '../../core/index.js';
import { principalOf, requireAdmin } from '../plugins/core.js';
import { StringEnum, Nullable } from '../schema-helpers.js';
import * as S from './schemas.js';

/** The key a request acts with, as the audit log names it. */
export const actorOf = (request: FastifyRequest): Actor => ({ keyId: principalOf(request).key.id });

const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.Integer({ description: 'epoch milliseconds' }),
  actorKeyId: Nullable(Type.String({ description: 'the API key that acted; null for the command line' })),
  action: StringEnum(AUDIT_ACTIONS),
  target: Type.String(),
  details: Nullable(Type.Record(Type.String(), Type.Unknown())),
});

export async function auditRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/audit',
    {
      schema: {
        tags: ['native'],
        description: 'Admin actions, oldest first: who (key id), when, what, on what. Never a secret or a hidden viewer. Page on with `after`.',
        querystring: Type.Object({
          since: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0, description: 'epoch ms, inclusive' }),
          after: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0, description: 'the previous page\'s nextAfter' }),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: { 200: Type.Object({ entries: Type.Array(AuditEntry), nextAfter: Nullable(Type.Integer()) }), ...S.errorResponses },
      },
    },
    async (request) => {
      const { workspace } = requireAdmin(request);
      const q = request.query;
      const page = await listAudit(app.core, workspace, q.since, q.after, q.limit);
      return { entries: page.entries.map(({ workspaceId: _ws, ...e }) => e), nextAfter: page.nextAfter };
    },
  );
}
