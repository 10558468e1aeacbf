/**
 * Signed, self-contained tokens (member-page links, admin sessions): a JSON payload and its
 * HMAC-SHA256, both base64url. Each purpose signs with its own key derived from the server
 * secret, so a token minted for one purpose is refused for another. Nothing is stored: a token
 * is valid while its signature checks and its `exp` is ahead.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type Purpose = 'embed' | 'admin-session' | 'csrf';

export class Signer {
  private keys = new Map<Purpose, Buffer>();

  /** `secret` null: a random one, good for this process's life only (docs/pages.md). */
  constructor(secret: string | null) {
    const root = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
    for (const purpose of ['embed', 'admin-session', 'csrf'] as const) {
      this.keys.set(purpose, createHmac('sha256', root).update(`profile-visitors:${purpose}`).digest());
    }
  }

  mac(purpose: Purpose, data: string): string {
    return createHmac('sha256', this.keys.get(purpose)!).update(data).digest('base64url');
  }

  sign(purpose: Purpose, payload: Record<string, unknown>): string {
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${body}.${this.mac(purpose, body)}`;
  }

  /** The payload of a well-signed token, or null (any tampering, any other purpose's token). */
  verify(purpose: Purpose, token: string): Record<string, unknown> | null {
    if (token.length > 4096) return null;
    const dot = token.indexOf('.');
    if (dot <= 0 || dot !== token.lastIndexOf('.')) return null;
    const body = token.slice(0, dot);
    if (!this.equal(token.slice(dot + 1), this.mac(purpose, body))) return null;
    try {
      const payload: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      return payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  equal(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  }
}
