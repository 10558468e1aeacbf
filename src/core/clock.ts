/** Time is injected so rules about windows and horizons can be tested at their edges. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
