import { AppError } from '../errors.js';
import type { ApiKey } from '../types.js';
import type { CoreDeps } from './deps.js';

/** Viewers per credit on the metered (LinkupAPI) surface (docs/rules.md#credits). */
export const VIEWERS_PER_CREDIT = 10;

export function creditsFor(viewersReturned: number): number {
  return Math.ceil(viewersReturned / VIEWERS_PER_CREDIT);
}

/**
 * Takes `amount` credits from the key in one atomic step. A balance that would go negative is
 * not touched and the call is refused; unlimited keys (null balance) are never refused.
 */
export async function chargeCredits(deps: CoreDeps, key: ApiKey, amount: number): Promise<number | null> {
  if (amount <= 0) return key.credits === null ? null : (await deps.store.keys.get(key.workspaceId, key.id))?.credits ?? null;
  const result = await deps.store.keys.charge(key.workspaceId, key.id, amount);
  if (!result.ok) {
    throw new AppError('insufficient_credits', `this call needs ${amount} credit${amount > 1 ? 's' : ''}, the key has ${result.remaining}`, {
      required: amount,
      remaining: result.remaining,
    });
  }
  return result.remaining;
}
