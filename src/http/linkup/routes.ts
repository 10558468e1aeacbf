import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError, chargeCredits, creditsFor, listViewers } from '../../core/index.js';
import { useErrorPresenter } from '../errors.js';
import { anonymousAvatarUrl } from '../plugins/assets.js';
import { expectsXApiKey, fromXApiKey, requireApiKey } from '../plugins/auth.js';
import { actingMember } from '../plugins/core.js';
import { INVALID_ACTION, linkupErrorPresenter, presentViewer } from './presenters.js';
import * as S from './schemas.js';

/** LinkupAPI's paths: any path under it answers in LinkupAPI's error shape (app.ts). */
export const LINKUP_PREFIX = '/v2';

export async function linkupRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const clock = app.core.clock;
  useErrorPresenter(app, linkupErrorPresenter(() => clock.now()));
  // After parsing, so that even an INVALID_API_KEY error echoes the request's action.
  requireApiKey(app, fromXApiKey, 'preValidation', expectsXApiKey('LinkupAPI'));

  app.post(
    `${LINKUP_PREFIX}/profiles`,
    {
      schema: {
        tags: ['linkupapi'],
        summary: 'Get Profile Viewers (LinkupAPI-compatible)',
        description: 'Costs 1 credit per 10 viewers returned, rounded up, taken atomically from the key balance.',
        body: S.ProfilesBody,
        response: { 200: S.ProfilesResponse, 400: S.ErrorResponse, 402: S.ErrorResponse, 403: S.ErrorResponse, 404: S.ErrorResponse, 429: S.ErrorResponse },
      },
    },
    async (request) => {
      const { account_id: accountId, action } = request.body;
      if (action !== 'get_viewers') {
        throw new AppError('invalid_input', `unsupported action "${action}": this endpoint supports "get_viewers"`, { linkupCode: INVALID_ACTION });
      }
      const count = request.body.params?.count ?? 10;
      const offset = request.body.params?.offset ?? 0;
      const { principal, memberId } = actingMember(request, accountId, 'account_id');
      const page = await listViewers(app.core, principal.workspace, { ownerId: memberId, offset, limit: count, withDegrees: 1 });
      // Only "is a 1st-degree connection" matters here (Message or Connect).
      // Charged only once the answer is ready; refused without charging when it would overdraw.
      const cost = creditsFor(page.viewers.length);
      await chargeCredits(app.core, principal.key, cost);
      const hiddenImage = anonymousAvatarUrl(request);
      const viewers = page.viewers.map((v) => presentViewer(v, principal.workspace.settings, hiddenImage));
      const hasMore = offset + viewers.length < page.total;
      return {
        success: true as const,
        data: {
          viewers,
          total_results: viewers.length,
          pagination: { offset, count: viewers.length, total: page.total, has_more: hasMore, next_offset: offset + viewers.length },
        },
        metadata: { action, account_id: memberId, credits_consumed: cost, timestamp: new Date(clock.now()).toISOString() },
      };
    },
  );
}
