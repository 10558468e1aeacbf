import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { DAY_MS, listViewers } from '../../core/index.js';
import { useErrorPresenter } from '../errors.js';
import { fromBearer, requireApiKey } from '../plugins/auth.js';
import { actingMember, principalOf } from '../plugins/core.js';
import { presentConnectSafelyError, presentVisitor } from './presenters.js';
import * as S from './schemas.js';

/** ConnectSafely's paths: any path under it answers in ConnectSafely's error shape (app.ts). */
export const CONNECTSAFELY_PREFIX = '/linkedin';

export async function connectSafelyRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  useErrorPresenter(app, presentConnectSafelyError);
  requireApiKey(app, fromBearer);
  // Every field is optional, so a POST without a body means "all defaults".
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined || request.body === null) request.body = {};
  });

  app.post(
    `${CONNECTSAFELY_PREFIX}/profile/visitors`,
    {
      schema: {
        tags: ['connectsafely'],
        summary: 'Get profile visitors (ConnectSafely-compatible)',
        body: S.VisitorsBody,
        response: { 200: S.VisitorsResponse, 400: S.ErrorResponse, 401: S.ErrorResponse, 403: S.ErrorResponse, 404: S.ErrorResponse, 429: S.ErrorResponse },
      },
    },
    async (request) => {
      const body = request.body ?? {};
      const timeRange = body.timeRange ?? S.DEFAULT_TIME_RANGE;
      const count = body.count ?? 20;
      const start = body.start ?? 0;
      const fetchAll = body.fetchAll ?? false;
      // Documented as required, yet real clients omit it.
      const maxVisitors = body.maxVisitors ?? 20;
      const principal = principalOf(request);
      // An admin key must name the account; a member key reads its own by default.
      const { memberId } = actingMember(request, body.accountId ?? (principal.key.role === 'member' ? principal.key.memberId! : undefined), 'accountId');
      const days = S.TIME_RANGES[timeRange];
      const now = app.core.clock.now();
      const limit = fetchAll ? maxVisitors : Math.min(count, maxVisitors);
      const page = await listViewers(app.core, principal.workspace, {
        ownerId: memberId,
        offset: start,
        limit,
        since: days === null ? null : now - days * DAY_MS,
        withDegrees: true,
      });
      const visitors = page.viewers.map((v) => presentVisitor(v, principal.workspace.settings, now));
      return {
        success: true as const,
        accountId: memberId,
        visitors,
        pagination: { start, count: limit, total: page.total },
        hasMore: start + visitors.length < page.total,
        timeRange: body.timeRange ?? null,
        filters: { timeRange: timeRange === 'ALL_TIME' ? timeRange : timeRange.toLowerCase(), count, start, fetchAll, maxVisitors },
      };
    },
  );
}
