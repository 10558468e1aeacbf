/**
 * Signing secrets and signatures, per the Standard Webhooks specification, through its
 * reference package (`standardwebhooks`): what receivers verify with is what we sign with.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { WebhookEndpoint } from './types.js';

/** 32 random bytes (the spec asks for 24 to 64). */
const SECRET_BYTES = 32;

export function newSigningSecret(): string {
  return `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** The secrets signing right now: the current one, and the previous one during its overlap after a rotation. */
export function signingSecrets(e: Pick<WebhookEndpoint, 'secret' | 'previousSecret' | 'previousSecretUntil'>, now: number): string[] {
  const out = [e.secret];
  if (e.previousSecret && e.previousSecretUntil !== null && now < e.previousSecretUntil) out.push(e.previousSecret);
  return out;
}

/** The three headers of one attempt; `webhook-signature` holds one `v1,...` per secret, space-separated. */
export function signedHeaders(messageId: string, at: Date, body: string, secrets: readonly string[]): Record<string, string> {
  const signature = secrets.map((s) => new Webhook(s).sign(messageId, at, body)).join(' ');
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  };
}
