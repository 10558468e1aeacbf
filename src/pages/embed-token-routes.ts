/** POST /v1/members/:memberId/embed-tokens: an admin mints a member-page link (docs/pages.md). */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { getMember } from '../core/index.js';
import { useErrorPresenter } from '../http/errors.js';
import { fromEither, requireApiKey } from '../http/plugins/auth.js';
import { requireAdmin } from '../http/plugins/core.js';
import { presentNativeError } from '../http/native/presenters.js';
import * as S from '../http/native/schemas.js';
import { EMBED_TTL_DEFAULT_S, EMBED_TTL_MAX_S, mintEmbedToken } from './embed-token.js';
import { embedUrl } from './embed-routes.js';
import type { Signer } from './signing.js';

export async function embedTokenRoutes(fastify: FastifyInstance, opts: { signer: Signer }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  useErrorPresenter(app, presentNativeError);
  requireApiKey(app, fromEither);
  const deps = app.core;
  // The one field is optional, so a POST without a body (as the README's curl sends) means "the default lifetime".
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined || request.body === null) request.body = {};
  });

  app.post(
    '/members/:memberId/embed-tokens',
    {
      schema: {
        tags: ['native'],
        description:
          'A signed link that opens this member\'s "who viewed my profile" page, read-only, until it expires. It is not an API key. Admin keys only.',
        params: Type.Object({ memberId: S.Id }),
        body: Type.Optional(
          Type.Object(
            { ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: EMBED_TTL_MAX_S, default: EMBED_TTL_DEFAULT_S, description: 'lifetime of the link, at most a day' })) },
            { additionalProperties: false },
          ),
        ),
        response: {
          201: Type.Object({
            url: Type.String({ description: 'the page, with its token' }),
            expiresAt: Type.Integer({ description: 'epoch milliseconds' }),
          }),
          ...S.errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { workspace } = requireAdmin(request);
      await getMember(deps, workspace, request.params.memberId);
      const ttl = request.body?.ttlSeconds ?? EMBED_TTL_DEFAULT_S;
      const expiresAt = deps.clock.now() + ttl * 1000;
      const token = mintEmbedToken(opts.signer, { workspaceId: workspace.id, memberId: request.params.memberId, exp: expiresAt });
      return reply.status(201).send({ url: `${request.protocol}://${request.host}${embedUrl(token)}`, expiresAt });
    },
  );
}
