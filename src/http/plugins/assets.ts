/**
 * The neutral avatar shown in place of a hidden viewer's picture. The LinkedIn-shaped APIs carry
 * an image URL string even for blurred viewers; pointing it here keeps the field's type without
 * revealing the viewer's picture.
 */
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';

export const ANONYMOUS_AVATAR_PATH = '/assets/anonymous-avatar.svg';

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect width="100" height="100" fill="#d0d5dd"/><circle cx="50" cy="38" r="18" fill="#98a2b3"/><path d="M16 92c4-20 18-30 34-30s30 10 34 30z" fill="#98a2b3"/></svg>`;

export function anonymousAvatarUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}${ANONYMOUS_AVATAR_PATH}`;
}

export const assetsPlugin = fp(
  async (app) => {
    app.get(ANONYMOUS_AVATAR_PATH, { schema: { hide: true }, config: { rateLimit: false } }, async (_request, reply) =>
      reply.header('content-type', 'image/svg+xml').header('cache-control', 'public, max-age=86400').send(SVG),
    );
  },
  { name: 'assets' },
);
