/** ConnectSafely `POST /linkedin/profile/visitors`, field for field as its public documentation (docs/compatibility.md). */
import { Type } from 'typebox';
import { Nullable, StringEnum } from '../schema-helpers.js';

export const TIME_RANGES = {
  past_7_days: 7,
  past_30_days: 30,
  past_90_days: 90,
  past_1_year: 365,
  PAST_7_DAYS: 7,
  PAST_30_DAYS: 30,
  PAST_90_DAYS: 90,
  ALL_TIME: null,
} as const;
export type TimeRange = keyof typeof TIME_RANGES;
export const DEFAULT_TIME_RANGE: TimeRange = 'past_90_days';
export const MAX_VISITORS_LIMIT = 1000;

export const VisitorsBody = Type.Object({
  accountId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "the member to read; the key's own member when absent" })),
  timeRange: Type.Optional(StringEnum(Object.keys(TIME_RANGES) as (keyof typeof TIME_RANGES)[], { description: 'default past_90_days' })),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'page size, default 20' })),
  start: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, description: 'offset, default 0' })),
  fetchAll: Type.Optional(Type.Boolean({ description: 'return up to maxVisitors from start' })),
  maxVisitors: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_VISITORS_LIMIT, description: 'total limit, default 20' })),
});

const Str = Nullable(Type.String());

export const Visitor = Type.Object({
  entityUrn: Str,
  publicIdentifier: Str,
  name: Type.String(),
  headline: Str,
  profilePicture: Str,
  viewedAt: Type.String({ description: 'relative, e.g. "Viewed 47m ago"' }),
  connectionDegree: Str,
  profileUrl: Str,
});

export const VisitorsResponse = Type.Object({
  success: Type.Literal(true),
  accountId: Type.String(),
  visitors: Type.Array(Visitor),
  pagination: Type.Object({ start: Type.Integer(), count: Type.Integer(), total: Type.Integer() }),
  hasMore: Type.Boolean(),
  timeRange: Str,
  filters: Type.Object({
    timeRange: Type.String(),
    count: Type.Integer(),
    start: Type.Integer(),
    fetchAll: Type.Boolean(),
    maxVisitors: Type.Integer(),
  }),
});

export const ErrorResponse = Type.Object({
  success: Type.Literal(false),
  error: Type.String(),
  code: Type.String(),
  message: Type.String(),
});
