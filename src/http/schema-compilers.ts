/**
 * Route schemas are compiled when a route first uses them, not at start-up. Fastify compiles
 * every route's validators and response serializers before it listens: about 170 ms of the
 * 800 ms cold start measured on the bench machine (ajv 105 ms, fast-json-stringify 63 ms), for
 * some 60 routes across four dialects of which a deployment uses one or two. The first request
 * of a route pays its share once (a few milliseconds). A test builds the app with
 * `eagerSchemas` (app.ts), which compiles them all while getting ready, so a schema that does
 * not compile still fails a test, not a production request.
 */
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

/** `compile` runs once, on the first call of the returned function. */
export function onFirstUse<F>(compile: () => F): () => F {
  let fn: F | undefined;
  return () => (fn ??= compile());
}

type SerializerFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']>;

/** Fastify's own serializer compiler (fast-json-stringify), each route's compiled on its first answer. */
export const serializersOnFirstUse: SerializerFactory = (externalSchemas, options) => {
  const compile = SerializerSelector()(externalSchemas as never, options as never);
  return (route) => {
    const compiled = onFirstUse(() => compile(route as never));
    return (data: unknown) => compiled()(data);
  };
};
