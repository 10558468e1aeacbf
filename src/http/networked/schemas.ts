/** Networked's GET /api/v1/profile/visits, field for field as its public documentation (docs/compatibility.md). */
import { Type } from 'typebox';

export const VisitsQuery = Type.Object({
  start: Type.Integer({ minimum: 0, maximum: 10_000_000, description: 'index to start pagination from' }),
  count: Type.Integer({ minimum: 1, maximum: 1000, description: 'number of records to fetch' }),
  userId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'the member whose visits to read (admin keys only)' })),
});

export const VisitEntry = Type.Object({
  userId: Type.String(),
  name: Type.String(),
  title: Type.String(),
  image: Type.String(),
  industries: Type.String(),
  timeStamp: Type.Integer({ description: 'last view, epoch ms' }),
});

export const VisitsResponse = Type.Object({
  data: Type.Object({
    start: Type.Integer(),
    count: Type.Integer({ description: 'number of records returned' }),
    // A type list, not an anyOf: see Nullable in schema-helpers.ts.
    nextStart: Type.Unsafe<number | false>({ type: ['integer', 'boolean'], description: 'the next start when more remain, else false' }),
    content: Type.Array(VisitEntry),
  }),
  error: Type.Literal(false),
  message: Type.String(),
});

export const ErrorResponse = Type.Object({ data: Type.Null(), error: Type.Literal(true), message: Type.String() });
