/**
 * Verifying a webhook delivery, per the Standard Webhooks specification
 * (https://www.standardwebhooks.com): the `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` headers, an HMAC-SHA256 of `id.timestamp.body` with the endpoint's secret
 * (`whsec_` + base64), and a timestamp no more than five minutes away from now (replays of old
 * deliveries are refused). Verification uses the reference implementation (standardwebhooks).
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

export { WebhookVerificationError };

export type WebhookHeaders = Record<string, string | string[] | undefined> | Headers;

function plainHeaders(headers: WebhookHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof (headers as Headers).forEach === 'function' && typeof (headers as Headers).get === 'function') {
    (headers as Headers).forEach((value, name) => (out[name.toLowerCase()] = value));
    return out;
  }
  for (const [name, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * Checks a delivery and returns its parsed JSON body; throws WebhookVerificationError when the
 * signature, the id or the timestamp does not hold. Pass the body exactly as received (the raw
 * text or bytes, not a re-serialised object).
 */
export function verifyWebhook<T = unknown>(secret: string, body: string | Buffer, headers: WebhookHeaders): T {
  const payload = typeof body === 'string' ? body : body.toString('utf8');
  return new Webhook(secret).verify(payload, plainHeaders(headers)) as T;
}
