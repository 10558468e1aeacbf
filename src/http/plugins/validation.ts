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

/** Fastify reads a failed validation's errors from the function it called, so they are passed on. */
function validatorOnFirstUse(compile: () => ValidateFunction): ValidateFunction {
  const compiled = onFirstUse(compile);
  const wrapper = ((data: unknown) => {
    const fn = compiled();
    const ok = fn(data);
    wrapper.errors = fn.errors;
    return ok;
  }) as ValidateFunction;
  return wrapper;
}

export function installValidators(app: FastifyInstance, opts: { onFirstUse: boolean }): void {
  const byPart: Record<string, Ajv> = {
    body: make(false),
    querystring: make('array'),
    params: make('array'),
    headers: make('array'),
  };
  app.setValidatorCompiler(({ schema, httpPart }: { schema: FastifySchema; httpPart?: string }) => {
    const ajv = byPart[httpPart ?? 'body'] ?? byPart.body!;
    const compile = () => ajv.compile(schema as object);
    return (opts.onFirstUse ? validatorOnFirstUse(compile) : compile()) as never;
  });
}
