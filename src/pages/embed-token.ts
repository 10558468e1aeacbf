/**
 * Member-page links (docs/pages.md): a signed (workspace, member, expiry) that opens
 * /embed/visitors for that member, read-only. It is not an API key and cannot become one: the
 * API looks keys up by the hash of a stored secret, and no such secret exists for a link.
 */
import type { Signer } from './signing.js';

export const EMBED_TTL_DEFAULT_S = 15 * 60;
export const EMBED_TTL_MAX_S = 24 * 60 * 60;

export interface EmbedGrant {
  workspaceId: string;
  memberId: string;
  /** Expiry, epoch ms. */
  exp: number;
}

export function mintEmbedToken(signer: Signer, grant: EmbedGrant): string {
  return signer.sign('embed', { w: grant.workspaceId, m: grant.memberId, exp: grant.exp });
}

/**
 * What a presented link is: null when forged or altered (nothing in it can be trusted), else its
 * grant and whether it has expired (an expired link still names the workspace whose framing
 * origins its refusal page may be shown in).
 */
export function readEmbedToken(signer: Signer, token: string, now: number): { grant: EmbedGrant; expired: boolean } | null {
  const p = signer.verify('embed', token);
  if (!p || typeof p.w !== 'string' || typeof p.m !== 'string' || typeof p.exp !== 'number') return null;
  return { grant: { workspaceId: p.w, memberId: p.m, exp: p.exp }, expired: !(p.exp > now) };
}
