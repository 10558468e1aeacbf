/**
 * The body of every delivery: Networked's envelope, `{"event", "timestamp", "data"}`, with the
 * timestamp in unix seconds as a string (when the event happened, not when it is sent; the
 * send time is the signed `webhook-timestamp` header).
 */
export function envelope(event: string, occurredAt: number, data: unknown): string {
  return JSON.stringify({ event, timestamp: String(Math.floor(occurredAt / 1000)), data });
}
