/**
 * Admin-console sessions (docs/pages.md). Signing in exchanges an admin key for a signed cookie
 * naming the key, the workspace, an expiry and a random nonce; nothing is stored server-side, so
 * any process with the same PAGES_SECRET accepts it. Every request re-reads the key: revoking it
 * ends its sessions at once. Forms carry a CSRF token derived from the session's nonce (and,
 * before sign-in, from a nonce in its own cookie), so a form posted from elsewhere is refused
 * even where SameSite=Strict is not enforced.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Signer } from '../signing.js';

export const SESSION_COOKIE = 'pv_admin';
export const SIGNIN_COOKIE = 'pv_admin_signin';
export const SESSION_TTL_MS = 8 * 60 * 60_000;
export const ADMIN_PATH = '/admin';

export interface AdminSession {
  keyId: string;
  workspaceId: string;
  exp: number;
  nonce: string;
}

export function newSession(signer: Signer, keyId: string, workspaceId: string, now: number): { cookie: string; session: AdminSession } {
  const session = { keyId, workspaceId, exp: now + SESSION_TTL_MS, nonce: randomBytes(16).toString('base64url') };
  return { cookie: signer.sign('admin-session', { k: keyId, w: workspaceId, exp: session.exp, n: session.nonce }), session };
}

export function readSession(signer: Signer, cookie: string | undefined, now: number): AdminSession | null {
  if (!cookie) return null;
  const p = signer.verify('admin-session', cookie);
  if (!p || typeof p.k !== 'string' || typeof p.w !== 'string' || typeof p.exp !== 'number' || typeof p.n !== 'string') return null;
  if (!(p.exp > now)) return null;
  return { keyId: p.k, workspaceId: p.w, exp: p.exp, nonce: p.n };
}

/** The CSRF token of the forms of one session (or one sign-in page's nonce). */
export function csrfToken(signer: Signer, nonce: string): string {
  return signer.mac('csrf', nonce);
}

export function checkCsrf(signer: Signer, nonce: string, presented: unknown): boolean {
  return typeof presented === 'string' && signer.equal(presented, csrfToken(signer, nonce));
}

export function cookiesOf(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !(name in out)) out[name] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

export function setCookie(reply: FastifyReply, request: FastifyRequest, name: string, value: string, maxAgeS: number): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  const cookie = `${name}=${encodeURIComponent(value)}; Path=${ADMIN_PATH}; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${secure}`;
  const prior = reply.getHeader('set-cookie');
  reply.header('set-cookie', prior === undefined ? [cookie] : [...(Array.isArray(prior) ? prior : [String(prior)]), cookie]);
}
