/** LinkupAPI v2 `POST /v2/profiles` (action get_viewers), field for field as its public documentation (docs/compatibility.md). */
import { Type } from 'typebox';
import { Nullable } from '../schema-helpers.js';

export const ProfilesBody = Type.Object({
  account_id: Type.String({ minLength: 1, maxLength: 128, description: 'the member whose viewers to read' }),
  action: Type.String({ maxLength: 64, description: 'must be "get_viewers"' }),
  params: Type.Optional(
    Type.Object({
      count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
      offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
    }),
  ),
});

export const Viewer = Type.Object({
  title: Type.String(),
  image_url: Nullable(Type.String()),
  is_blurred: Type.Boolean(),
  cta_action: Type.String({ description: 'View when blurred, Message for 1st degree, Connect otherwise' }),
  profile_url: Nullable(Type.String()),
  entity_urn: Nullable(Type.String()),
});

const Metadata = Type.Object({
  action: Nullable(Type.String()),
  account_id: Type.Optional(Type.String()),
  credits_consumed: Type.Integer(),
  timestamp: Type.String({ description: 'ISO 8601' }),
});

export const ProfilesResponse = Type.Object({
  success: Type.Literal(true),
  data: Type.Object({
    viewers: Type.Array(Viewer),
    total_results: Type.Integer({ description: 'viewers returned' }),
    pagination: Type.Object({
      offset: Type.Integer(),
      count: Type.Integer(),
      total: Type.Integer(),
      has_more: Type.Boolean(),
      next_offset: Type.Integer(),
    }),
  }),
  metadata: Metadata,
});

export const ErrorResponse = Type.Object({
  success: Type.Literal(false),
  error: Type.Object({ code: Type.String(), message: Type.String() }),
  metadata: Metadata,
});
