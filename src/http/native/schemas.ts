/** TypeBox schemas of the native API: validation, serialization and the OpenAPI document come from these. */
import { Type, type Static } from 'typebox';
import { Nullable, StringEnum } from '../schema-helpers.js';
import { ID_MAX, PLANS, TEXT_MAX, URL_MAX, VISIBILITIES, VISIT_SOURCES, ROLES } from '../../core/index.js';

const Text = Type.Union([Type.String({ maxLength: TEXT_MAX }), Type.Null()]);
const Url = Type.Union([Type.String({ maxLength: URL_MAX }), Type.Null()]);
/** Nullable text in responses. */
const OutText = Nullable(Type.String());
export const Id = Type.String({ minLength: 1, maxLength: ID_MAX });
const Millis = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'epoch milliseconds' });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: 'NativeError' },
);

export const MemberProfile = Type.Object(
  {
    name: Type.Optional(Text),
    headline: Type.Optional(Text),
    title: Type.Optional(Type.Union([Type.String({ maxLength: TEXT_MAX, description: 'job title; insights break viewers down by it' }), Type.Null()])),
    imageUrl: Type.Optional(Url),
    company: Type.Optional(Text),
    industry: Type.Optional(Text),
    location: Type.Optional(Text),
    publicIdentifier: Type.Optional(Text),
    profileUrl: Type.Optional(Url),
    plan: Type.Optional(StringEnum(PLANS)),
    visibility: Type.Optional(StringEnum(VISIBILITIES)),
  },
  { additionalProperties: false },
);

export const Member = Type.Object({
  id: Type.String(),
  name: OutText,
  headline: OutText,
  title: OutText,
  imageUrl: OutText,
  company: OutText,
  industry: OutText,
  location: OutText,
  publicIdentifier: OutText,
  profileUrl: OutText,
  plan: Type.String(),
  visibility: Type.String(),
  createdAt: Millis,
  updatedAt: Millis,
});

export const Visit = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: ID_MAX, description: 'your id for this view; a retry with the same id is never counted twice' })),
    profileId: Id,
    viewerId: Id,
    viewedAt: Type.Optional(Millis),
    source: Type.Optional(StringEnum(VISIT_SOURCES)),
    profile: Type.Optional(MemberProfile),
    viewer: Type.Optional(MemberProfile),
  },
  { additionalProperties: false },
);

export const VisitResult = Type.Object({
  status: StringEnum(['recorded', 'deduplicated', 'replayed', 'self_view', 'blocked'] as const, {
    description: 'self_view and blocked (a block between the two members) are acknowledged and not stored',
  }),
  visitId: Type.Optional(Type.String({ description: 'your id, or the stored visit\'s; absent when the visit has neither (sent without an id and not stored)' })),
});

export const BatchBody = Type.Object(
  { visits: Type.Array(Visit, { maxItems: 10_000, description: 'each item is validated on its own: invalid items are reported, valid ones stored' }) },
  { additionalProperties: false },
);

export const BatchItemResult = Type.Object({
  index: Type.Integer(),
  status: StringEnum(['recorded', 'deduplicated', 'replayed', 'self_view', 'blocked', 'error'] as const),
  visitId: Type.Optional(Type.String()),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Record(Type.String(), Type.Unknown())) })),
});

export const BatchResponse = Type.Object({
  recorded: Type.Integer(),
  deduplicated: Type.Integer(),
  replayed: Type.Integer(),
  ignored: Type.Integer({ description: 'self-views and visits between blocked members: acknowledged, not stored' }),
  rejected: Type.Integer(),
  results: Type.Array(BatchItemResult),
});

export const Viewer = Type.Object({
  appearance: Type.String({ description: 'full, characteristics or private' }),
  blurred: Type.Boolean({ description: "hidden by the owner's plan rather than the viewer's choice" }),
  label: Type.String(),
  viewer: Nullable(
    Type.Object({
      id: Type.String(),
      name: OutText,
      headline: OutText,
      imageUrl: OutText,
      publicIdentifier: OutText,
      profileUrl: OutText,
      company: OutText,
      industry: OutText,
      location: OutText,
    }),
  ),
  traits: Nullable(Type.Object({ company: OutText, industry: OutText, location: OutText })),
  degree: Nullable(Type.String({ description: '1st, 2nd, 3rd or 3rd+' })),
  viewCount: Type.Integer(),
  firstViewedAt: Millis,
  lastViewedAt: Millis,
  lastSource: Type.String(),
});

export const VisitorsQuery = Type.Object({
  offset: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  since: Type.Optional(Millis),
  until: Type.Optional(Millis),
  degrees: Type.Boolean({ default: false, description: 'include connection degrees' }),
});
export type VisitorsQuery = Static<typeof VisitorsQuery>;

export const VisitorsPage = Type.Object({
  memberId: Type.String(),
  total: Type.Integer(),
  offset: Type.Integer(),
  limit: Type.Integer(),
  nextOffset: Nullable(Type.Integer()),
  since: Millis,
  until: Nullable(Millis),
  viewers: Type.Array(Viewer),
});

export const ApiKey = Type.Object({
  id: Type.String(),
  role: Type.String(),
  memberId: Nullable(Type.String()),
  name: Nullable(Type.String()),
  credits: Nullable(Type.Integer()),
  createdAt: Millis,
  revokedAt: Nullable(Millis),
});

export const CreateKeyBody = Type.Object(
  {
    role: StringEnum(ROLES),
    memberId: Type.Optional(Id),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    credits: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), Type.Null()])),
  },
  { additionalProperties: false },
);

export const Settings = Type.Object({
  dedupWindowMs: Type.Integer(),
  freeHistoryDays: Type.Integer(),
  premiumHistoryDays: Type.Integer(),
  freeFullViewers: Type.Integer(),
  retentionDays: Type.Integer(),
  urnPrefix: Type.String(),
  pageName: Type.Union([Type.String(), Type.Null()], { description: 'name the member page shows; null: the workspace name' }),
  accentColor: Type.String({ description: 'the member page accent colour, #rrggbb' }),
  logoUrl: Type.Union([Type.String(), Type.Null()], { description: 'https logo on the member page' }),
  framingOrigins: Type.Array(Type.String(), { description: 'origins allowed to frame the member page (CSP frame-ancestors)' }),
});

export const SettingsPatch = Type.Partial(
  Type.Object({
    dedupWindowMs: Type.Integer({ minimum: 0, maximum: 7 * 86_400_000 }),
    freeHistoryDays: Type.Integer({ minimum: 1, maximum: 3650 }),
    premiumHistoryDays: Type.Integer({ minimum: 1, maximum: 3650 }),
    freeFullViewers: Type.Integer({ minimum: 0, maximum: 1000 }),
    retentionDays: Type.Integer({ minimum: 1, maximum: 3650 }),
    urnPrefix: Type.String({ maxLength: 128 }),
    pageName: Type.Union([Type.String({ minLength: 1, maxLength: 80 }), Type.Null()]),
    accentColor: Type.String({ pattern: '^#[0-9a-fA-F]{6}$' }),
    logoUrl: Type.Union([Type.String({ maxLength: 2048 }), Type.Null()]),
    framingOrigins: Type.Array(Type.String({ maxLength: 300 }), { maxItems: 20 }),
  }),
  { additionalProperties: false },
);

export const Workspace = Type.Object({ id: Type.String(), name: Type.String(), settings: Settings, createdAt: Millis });

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  429: ErrorBody,
};

export const Block = Type.Object({
  memberId: Type.String(),
  blockedId: Type.String(),
  createdAt: Millis,
});

export const BlockResult = Type.Object({
  memberId: Type.String(),
  otherId: Type.String(),
  blocked: Type.Boolean({ description: 'whether the block stands after this call' }),
  changed: Type.Boolean({ description: 'false when it already stood (PUT) or did not exist (DELETE)' }),
});
