import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { listViewers } from '../../core/index.js';
import { useErrorPresenter } from '../errors.js';
import { expectsXApiKey, fromXApiKey, requireApiKey } from '../plugins/auth.js';
import { actingMember } from '../plugins/core.js';
import { presentNetworkedError, presentVisit } from './presenters.js';
import * as S from './schemas.js';

/** Networked's paths: its routes, and any unknown path or wrong method there, answer in its error shape (app.ts). */
export const NETWORKED_PREFIX = '/api/v1';

export async function networkedRoutes(fastify: FastifyInstance) {
  await fastify.register(networkedApi, { prefix: NETWORKED_PREFIX });
}

async function networkedApi(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  useErrorPresenter(app, presentNetworkedError);
  requireApiKey(app, fromXApiKey, 'onRequest', expectsXApiKey('Networked'));

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
