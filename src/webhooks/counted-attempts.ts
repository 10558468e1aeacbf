/**
 * The delivery worker's store, telling `onAttempt` of each attempt it records (for the attempt
 * counter of /metrics), so that the worker itself needs no knowledge of metrics. Only an attempt
 * actually recorded counts: one whose lease was lost is another process's to record.
 */
import type { WebhookStore } from './store.js';
import type { MessageStatus } from './types.js';

export function countingAttempts(store: WebhookStore, onAttempt: (result: MessageStatus) => void): WebhookStore {
  // Every other method is the store's own (looked up through the prototype, `this` still
  // reaching the store's fields), so the wrapper stays right when the interface grows.
  const counted = Object.create(store) as WebhookStore;
  counted.recordAttempts = async (owner, attempts) => {
    const recorded = await store.recordAttempts(owner, attempts);
    recorded.forEach((written, i) => {
      if (written) onAttempt(attempts[i]!.outcome.status);
    });
    return recorded;
  };
  return counted;
}
