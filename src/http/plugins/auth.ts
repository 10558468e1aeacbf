/** Per-dialect authentication: each dialect says where its key travels; verification is one core call. */
import type { FastifyInstance, FastifyRequest } from 'fastify';

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
export function requireApiKey(app: FastifyInstance, extract: KeyExtractor, hook: 'onRequest' | 'preValidation' = 'onRequest'): void {
  app.addHook(hook, async (request) => {
    request.principal = await app.authenticator.authenticate(extract(request));
  });
}
