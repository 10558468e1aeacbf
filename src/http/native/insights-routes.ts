/**
 * Insights on the native API (docs/insights.md): a member's views over time and, for premium
 * members, who their viewers are in aggregate; the workspace's, for admins. Registered under /v1.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { BREAKDOWNS, INSIGHT_RANGES, VISIBILITIES, VISIT_SOURCES, memberInsights, workspaceInsights } from '../../core/index.js';
import { useErrorPresenter } from '../errors.js';
import { requireApiKey, fromEither } from '../plugins/auth.js';
import { actingMember, requireAdmin } from '../plugins/core.js';
import { Nullable, StringEnum } from '../schema-helpers.js';
import { presentNativeError } from './presenters.js';
import * as S from './schemas.js';

const RANGES = Object.keys(INSIGHT_RANGES) as (keyof typeof INSIGHT_RANGES)[];
const Millis = Type.Integer({ minimum: 0, description: 'epoch milliseconds' });

const CommonQuery = {
  range: StringEnum(RANGES, { default: '30d', description: 'whole local days, today included' }),
  granularity: StringEnum(['day', 'week'] as const, { default: 'day', description: 'series buckets: local days, or weeks from Monday' }),
  tz: Type.String({ minLength: 1, maxLength: 64, default: 'UTC', description: 'IANA time zone the days and weeks are counted in' }),
};

const MemberQuery = Type.Object(
  {
    ...CommonQuery,
    breakdowns: Type.Boolean({ default: false, description: 'include breakdowns of viewers (premium members only; 403 otherwise)' }),
  },
  { additionalProperties: false },
);
const WorkspaceQuery = Type.Object(CommonQuery, { additionalProperties: false });

const Period = Type.Object({ from: Millis, to: Millis, views: Type.Integer(), uniqueViewers: Type.Integer() });
const Bucket = { date: Type.String({ description: 'local date of the first day (YYYY-MM-DD)' }), from: Millis, to: Millis };
const Breakdown = Type.Object({
  buckets: Type.Array(Type.Object({ value: Type.String(), viewers: Type.Integer() }), {
    description: 'at most 10, each with at least 3 distinct viewers, most viewers first',
  }),
  other: Type.Integer({ description: 'viewers counted in this breakdown and in none of the buckets shown' }),
});

const MemberInsights = Type.Object({
  memberId: Type.String(),
  range: Type.String(),
  granularity: Type.String(),
  timeZone: Type.String(),
  views: Type.Integer({ description: 'counted visits in the range' }),
  uniqueViewers: Type.Integer({ description: 'distinct viewers in the range' }),
  from: Millis,
  to: Millis,
  previous: Period,
  change: Type.Object(
    { views: Nullable(Type.Number()), uniqueViewers: Nullable(Type.Number()) },
    { description: 'percent against the previous period of as many days; null when it is empty' },
  ),
  series: Type.Array(Type.Object({ ...Bucket, views: Type.Integer() })),
  breakdowns: Nullable(Type.Object(Object.fromEntries(BREAKDOWNS.map((b) => [b, Breakdown])) as Record<(typeof BREAKDOWNS)[number], typeof Breakdown>)),
});

const WorkspaceInsights = Type.Object({
  range: Type.String(),
  granularity: Type.String(),
  timeZone: Type.String(),
  from: Millis,
  to: Millis,
  views: Type.Integer(),
  viewers: Type.Integer({ description: 'distinct viewers of any profile in the range' }),
  series: Type.Array(Type.Object({ ...Bucket, views: Type.Integer(), viewers: Type.Integer() })),
  topProfiles: Type.Array(Type.Object({ profileId: Type.String(), views: Type.Integer() })),
  sources: Type.Array(Type.Object({ source: StringEnum(VISIT_SOURCES), views: Type.Integer() })),
  viewerVisibility: Type.Object(
    Object.fromEntries(VISIBILITIES.map((v) => [v, Type.Object({ viewers: Type.Integer(), share: Type.Number() })])) as Record<
      (typeof VISIBILITIES)[number],
      ReturnType<typeof Type.Object<{ viewers: ReturnType<typeof Type.Integer>; share: ReturnType<typeof Type.Number> }>>
    >,
    { description: 'distinct viewers in the range by how they browse, with their share of all' },
  ),
});

export async function insightsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  useErrorPresenter(app, presentNativeError);
  requireApiKey(app, fromEither);
  const deps = app.core;
  const tags = ['native', 'insights'];

  app.get(
    '/members/:memberId/insights',
    {
      schema: {
        tags,
        description:
          'Views and distinct viewers over whole local days, the change against the previous period and a zero-filled series (admin, or the member). ' +
          'Breakdowns of viewers are for premium members; a range beyond the plan\'s history and a free member browsing privately are refused with 403.',
        params: Type.Object({ memberId: S.Id }),
        querystring: MemberQuery,
        response: { 200: MemberInsights, 503: S.ErrorBody, ...S.errorResponses },
      },
    },
    async (request) => {
      const { principal, memberId } = actingMember(request, request.params.memberId, 'memberId');
      const q = request.query;
      const r = await memberInsights(deps, principal.workspace, { ownerId: memberId, range: q.range, granularity: q.granularity, tz: q.tz, breakdowns: q.breakdowns });
      return {
        memberId: r.memberId,
        range: r.range,
        granularity: r.granularity,
        timeZone: r.timeZone,
        views: r.current.views,
        uniqueViewers: r.current.uniqueViewers,
        from: r.current.from,
        to: r.current.to,
        previous: r.previous,
        change: r.change,
        series: r.series,
        breakdowns: r.breakdowns,
      };
    },
  );

  app.get(
    '/insights',
    {
      schema: {
        tags,
        description: 'The workspace over whole local days (admin): views and distinct viewers per bucket, the most viewed profiles, sources, and the share of private and characteristics viewers. No viewer is named.',
        querystring: WorkspaceQuery,
        response: { 200: WorkspaceInsights, 503: S.ErrorBody, ...S.errorResponses },
      },
    },
    async (request) => {
      const { workspace } = requireAdmin(request);
      const q = request.query;
      return workspaceInsights(deps, workspace, { range: q.range, granularity: q.granularity, tz: q.tz });
    },
  );
}
