/**
 * Response headers of every page. The CSP allows scripts and styles from this server only (no
 * inline script or style anywhere in the pages), images from this server or https (members'
 * pictures, the workspace logo), requests back to this server only. Framing: the member page may
 * be framed by the workspace's `framingOrigins` and no one else; the admin console by no one.
 */
import type { FastifyReply } from 'fastify';

export function pageCsp(frameAncestors: readonly string[]): string {
  const ancestors = frameAncestors.length > 0 ? frameAncestors.join(' ') : "'none'";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' https: data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${ancestors}`,
  ].join('; ');
}

/**
 * `no-referrer`: the member page's URL carries its link token, which must not reach the sites
 * of the links on it. `no-store`: a page shows one member's viewers and must not be cached.
 */
export function sendPage(reply: FastifyReply, status: number, body: string, frameAncestors: readonly string[] = []): FastifyReply {
  return reply
    .status(status)
    .header('content-security-policy', pageCsp(frameAncestors))
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-store')
    .header('cross-origin-opener-policy', frameAncestors.length > 0 ? 'unsafe-none' : 'same-origin')
    .type('text/html; charset=utf-8')
    .send(body);
}
