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

/**
 * `compile` runs on the first call of the returned function. A schema that does not compile
 * fails every call with the same error, naming the route (`what`): the request gets a 500 and
 * the log says which schema, as a start-up failure would have.
 */
export function onFirstUse<F>(what: string, compile: () => F): () => F {
  let fn: F | undefined;
  let failed: Error | undefined;
  return () => {
    if (fn) return fn;
    if (failed) throw failed;
    try {
      return (fn = compile());
    } catch (cause) {
      failed = new Error(`${what}: the schema does not compile`, { cause });
      throw failed;
    }
  };
}

type SerializerFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']>;

/**
 * Fastify's own serializer compiler (fast-json-stringify), given what Fastify's default gets;
 * each serializer (one per route, status code and content type) is compiled on its first answer.
 */
export const serializersOnFirstUse: SerializerFactory = (externalSchemas, options) => {
  const compile = SerializerSelector()(externalSchemas, options);
  return (route) => {
    const compiled = onFirstUse(`${route.method} ${route.url} response ${route.httpStatus}`, () => compile(route));
    return (data: unknown) => compiled()(data);
  };
};
