/**
 * When attempts are made: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after
 * the previous one (eight attempts over about 28 hours), each delay with +-10% jitter so that
 * an endpoint coming back is not hit by every retry at once. A 429 or 503 with Retry-After
 * waits at least that long. Tests inject a shorter schedule (WEBHOOK_RETRY_SCHEDULE_MS).
 */
export const DEFAULT_SCHEDULE_MS: readonly number[] = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/** Retry-After beyond this is capped (a receiver cannot park a message for days). */
const MAX_RETRY_AFTER_MS = 36_000_000;

/** An endpoint failing every attempt for this long is disabled. */
export const DISABLE_AFTER_FAILING_MS = 5 * 86_400_000;

export function withJitter(delayMs: number, random: () => number = Math.random): number {
  return Math.round(delayMs * (0.9 + 0.2 * random()));
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, MAX_RETRY_AFTER_MS);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.min(Math.max(0, t - now), MAX_RETRY_AFTER_MS);
}

/** The delay before attempt `step` (0-based) or null when the schedule is exhausted. */
export function delayBefore(schedule: readonly number[], step: number): number | null {
  return step < schedule.length ? schedule[step]! : null;
}
