import { DAY_MS, HOUR_MS } from '../clock.js';

/** The text of a hidden entry viewed less than an hour before: no minutes are ever given for it. */
export const WITHIN_THE_HOUR = 'Viewed within the hour';

/**
 * "Viewed 47m ago" style text, as ConnectSafely renders `viewedAt`. Each unit is used from its
 * first whole value: minutes under an hour, hours under a day, days under a week, weeks up to
 * "5w" (under 42 days), months of 30 days under a year, then years. With `finest: 'hour'` (a
 * hidden entry, whose time is already floored to the hour) nothing finer than hours is said.
 */
export function viewedAgo(viewedAt: number, now: number, finest: 'minute' | 'hour' = 'minute'): string {
  const ms = Math.max(0, now - viewedAt);
  const minutes = Math.floor(ms / 60_000);
  if (finest === 'hour' && ms < HOUR_MS) return WITHIN_THE_HOUR;
  if (minutes < 1) return 'Viewed just now';
  if (minutes < 60) return `Viewed ${minutes}m ago`;
  const hours = Math.floor(ms / HOUR_MS);
  if (hours < 24) return `Viewed ${hours}h ago`;
  const days = Math.floor(ms / DAY_MS);
  if (days < 7) return `Viewed ${days}d ago`;
  if (days < 42) return `Viewed ${Math.floor(days / 7)}w ago`;
  if (days < 365) return `Viewed ${Math.floor(days / 30)}mo ago`;
  return `Viewed ${Math.floor(days / 365)}y ago`;
}
