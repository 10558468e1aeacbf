import { randomBytes } from 'node:crypto';

/** Time-ordered, unguessable ids: `msg_...` for messages (the webhook-id), `ep_...` for endpoints. */
export function newId(prefix: 'msg' | 'ep'): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${randomBytes(10).toString('hex')}`;
}
