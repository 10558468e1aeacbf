import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError, listViewers } from '../../core/index.js';
import { useErrorPresenter } from '../errors.js';
import { fromXApiKey, requireApiKey } from '../plugins/auth.js';
import { actingMember } from '../plugins/core.js';
import { presentNetworkedError, presentVisit } from './presenters.js';
import * as S from './schemas.js';

/** Networked lives under /api/v1: its routes, and any unknown path there, answer in its error shape. */
export async function networkedRoutes(fastify: FastifyInstance) {
  await fastify.register(networkedApi, { prefix: '/api/v1' });
}

async function networkedApi(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  useErrorPresenter(app, presentNetworkedError);
  requireApiKey(app, fromXApiKey);
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = presentNetworkedError(new AppError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
    return reply.status(status).send(body);
  });

  app.get(
    '/profile/visits',
    {
      schema: {
        tags: ['networked'],
        summary: 'Get Profile Visits (Networked-compatible)',
        querystring: S.VisitsQuery,
        response: { 200: S.VisitsResponse, 400: S.ErrorResponse, 401: S.ErrorResponse, 403: S.ErrorResponse, 404: S.ErrorResponse, 429: S.ErrorResponse },
      },
    },
    async (request) => {
      const { start, count, userId } = request.query;
      const { principal, memberId } = actingMember(request, userId);
      const page = await listViewers(app.core, principal.workspace, { ownerId: memberId, offset: start, limit: count });
      const content = page.viewers.map(presentVisit);
      const next = start + content.length;
      return {
        data: { start, count: content.length, nextStart: next < page.total && content.length > 0 ? next : (false as const), content },
        error: false as const,
        message: 'Success',
      };
    },
  );
}
