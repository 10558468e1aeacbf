/** Per-dialect authentication: each dialect says where its key travels; verification is one core call. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../core/index.js';

export type KeyExtractor = (request: FastifyRequest) => string | undefined;

export const fromXApiKey: KeyExtractor = (r) => header(r, 'x-api-key');

export const fromBearer: KeyExtractor = (r) => {
  const auth = header(r, 'authorization');
  const m = auth && /^Bearer\s+(.+)$/i.exec(auth.trim());
  return m ? m[1] : undefined;
};

export const fromEither: KeyExtractor = (r) => fromXApiKey(r) ?? fromBearer(r);

function header(r: FastifyRequest, name: string): string | undefined {
  const v = r.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Every route of the calling context requires a valid key, checked before the body is
 * validated: on `onRequest` (before the body is even read) or, where an error must echo a body
 * field, on `preValidation` (after parsing).
 */
export function requireApiKey(
  app: FastifyInstance,
  extract: KeyExtractor,
  hook: 'onRequest' | 'preValidation' = 'onRequest',
  whenMissing?: (request: FastifyRequest) => string | undefined,
): void {
  app.addHook(hook, async (request) => {
    const secret = extract(request);
    const hint = secret === undefined ? whenMissing?.(request) : undefined;
    if (hint) throw new AppError('unauthorized', hint);
    request.principal = await app.authenticator.authenticate(secret);
  });
}

/**
 * For an API that reads its key from `x-api-key` only: a request that sent it as a Bearer
 * token instead (the other APIs' way) is told where the key goes, not just that it is missing.
 */
export const expectsXApiKey = (api: string) => (request: FastifyRequest) =>
  header(request, 'authorization') !== undefined ? `${api} expects the API key in the x-api-key header, not in Authorization` : undefined;
