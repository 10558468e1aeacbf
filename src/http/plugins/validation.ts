/**
 * One JSON-schema validator per part of the request. Query strings and path parameters arrive
 * as text, so they are coerced to the schema's types; JSON bodies are not: a `null` must stay
 * null (not become 0 or ""), and a number where a string is expected is a client error.
 *
 * Validators, like serializers (schema-compilers.ts), are compiled when their route is first
 * used rather than at start-up.
 */
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { onFirstUse } from '../schema-compilers.js';

const BASE: Options = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false };

function make(coerce: Options['coerceTypes']) {
  const ajv = new Ajv({ ...BASE, coerceTypes: coerce });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
}

/**
 * Fastify reads a failed validation's errors from the function it called, and passes Ajv's data
 * context (so that a coerced root value can be replaced) only to a function with a `schemaEnv`:
 * the wrapper passes both on, as the compiled function would.
 */
function validatorOnFirstUse(what: string, compile: () => ValidateFunction): ValidateFunction {
  const compiled = onFirstUse(what, compile);
  const wrapper = ((data: unknown, ctx?: Parameters<ValidateFunction>[1]) => {
    const fn = compiled();
    const ok = fn(data, ctx);
    wrapper.errors = fn.errors;
    return ok;
  }) as ValidateFunction;
  Object.defineProperty(wrapper, 'schemaEnv', { get: () => compiled().schemaEnv });
  return wrapper;
}

export function installValidators(app: FastifyInstance, opts: { onFirstUse: boolean }): void {
  const byPart: Record<string, Ajv> = {
    body: make(false),
    querystring: make('array'),
    params: make('array'),
    headers: make('array'),
  };
  app.setValidatorCompiler(({ schema, httpPart, method, url }: { schema: FastifySchema; httpPart?: string; method: string; url: string }) => {
    const ajv = byPart[httpPart ?? 'body'] ?? byPart.body!;
    const compile = () => ajv.compile(schema as object);
    return (opts.onFirstUse ? validatorOnFirstUse(`${method} ${url} ${httpPart ?? 'body'}`, compile) : compile()) as never;
  });
}
