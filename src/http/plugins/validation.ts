/**
 * One JSON-schema validator per part of the request. Query strings and path parameters arrive
 * as text, so they are coerced to the schema's types; JSON bodies are not: a `null` must stay
 * null (not become 0 or ""), and a number where a string is expected is a client error.
 *
 * No text of a request may hold what PostgreSQL cannot store as text (the NUL character, a lone
 * UTF-16 surrogate): accepting it would make the backends differ (PostgreSQL answering 500, or
 * its driver replacing the surrogate so that two ids merge). Every string of every request
 * schema gets that rule here, at compile time, rather than in each schema; the rule itself is
 * the core's (`unstorableText` in `core/validation.ts`), which values reaching the core some
 * other way (batch items, files the CLI imports) meet too.
 *
 * Validators, like serializers (schema-compilers.ts), are compiled when their route is first
 * used rather than at start-up.
 */
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { onFirstUse } from '../schema-compilers.js';
import { unstorableText } from '../../core/index.js';

const BASE: Options = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false };

const STORABLE = 'x-storable-text';

function make(coerce: Options['coerceTypes']) {
  const ajv = new Ajv({ ...BASE, coerceTypes: coerce });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  const storable = (_schema: unknown, data: string): boolean => {
    const problem = unstorableText(data);
    if (problem === null) return true;
    storable.errors = [{ keyword: STORABLE, message: problem, params: {} }];
    return false;
  };
  storable.errors = null as unknown;
  ajv.addKeyword({ keyword: STORABLE, type: 'string', schemaType: 'boolean', errors: true, validate: storable as never });
  return ajv;
}

/** A copy of `schema` in which every string (but a constant or one of a list) must be storable text. */
function withStorableText(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withStorableText);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = withStorableText(v);
  const type = out.type;
  const isString = type === 'string' || (Array.isArray(type) && type.includes('string'));
  if (isString && !('const' in out) && !('enum' in out)) out[STORABLE] = true;
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
    const compile = () => ajv.compile(withStorableText(schema) as object);
    return (opts.onFirstUse ? validatorOnFirstUse(`${method} ${url} ${httpPart ?? 'body'}`, compile) : compile()) as never;
  });
}
