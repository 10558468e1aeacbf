/**
 * One JSON-schema validator per part of the request. Query strings and path parameters arrive
 * as text, so they are coerced to the schema's types; JSON bodies are not: a `null` must stay
 * null (not become 0 or ""), and a number where a string is expected is a client error.
 *
 * No text of a request may hold the NUL character (U+0000): PostgreSQL cannot store it, so
 * accepting it would make the backends differ (and PostgreSQL answer 500). Every string of every
 * request schema gets that rule here, at compile time, rather than in each schema; values that
 * reach the core some other way (batch items, files the CLI imports) meet the same rule in
 * `core/validation.ts`.
 *
 * Validators, like serializers (schema-compilers.ts), are compiled when their route is first
 * used rather than at start-up.
 */
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { onFirstUse } from '../schema-compilers.js';

const BASE: Options = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false };

const NO_NUL = 'x-no-nul';

function make(coerce: Options['coerceTypes']) {
  const ajv = new Ajv({ ...BASE, coerceTypes: coerce });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  const noNul = (_schema: unknown, data: string): boolean => {
    if (!data.includes('\u0000')) return true;
    noNul.errors = [{ keyword: NO_NUL, message: 'must not contain the NUL character (U+0000)', params: {} }];
    return false;
  };
  noNul.errors = null as unknown;
  ajv.addKeyword({ keyword: NO_NUL, type: 'string', schemaType: 'boolean', errors: true, validate: noNul as never });
  return ajv;
}

/** A copy of `schema` in which every string (but a constant or one of a list) also refuses NUL. */
function withNulRefused(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withNulRefused);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = withNulRefused(v);
  const type = out.type;
  const isString = type === 'string' || (Array.isArray(type) && type.includes('string'));
  if (isString && !('const' in out) && !('enum' in out)) out[NO_NUL] = true;
  return out;
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
    const compile = () => ajv.compile(withNulRefused(schema) as object);
    return (opts.onFirstUse ? validatorOnFirstUse(`${method} ${url} ${httpPart ?? 'body'}`, compile) : compile()) as never;
  });
}
