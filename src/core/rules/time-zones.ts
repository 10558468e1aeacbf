/**
 * Calendar days and weeks in an IANA time zone, as UTC instants, through Intl (the zone data of
 * the running Node). DST-correct: a day is from one local midnight to the next, 23 or 25 hours
 * long across a change; a day whose midnight does not exist (a change at midnight) starts at its
 * first instant.
 */
import { invalidInput } from '../errors.js';
import { DAY_MS, HOUR_MS } from '../clock.js';

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, f);
  }
  return f;
}

/**
 * The zone as given, or a 400 naming the parameter when it is not an IANA zone. (Not ICU's
 * canonical name, which is sometimes a retired one: Asia/Kolkata comes back as Asia/Calcutta.)
 */
export function checkTimeZone(tz: string, field = 'tz'): string {
  try {
    formatFor(tz);
    return tz;
  } catch {
    throw invalidInput(`${field} must be an IANA time zone such as Europe/Paris or UTC`, { field });
  }
}

/** A calendar date, days counted from 1970-01-01 (so that adding days is arithmetic). */
export type DayNumber = number;

/** The zone's offset from UTC at `t`, in ms (local = UTC + offset). */
export function offsetAt(t: number, timeZone: string): number {
  const parts = formatFor(timeZone).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return local - (t - (t % 1000 + 1000) % 1000);
}

/** The local calendar day `t` falls on. */
export function localDay(t: number, timeZone: string): DayNumber {
  return Math.floor((t + offsetAt(t, timeZone)) / DAY_MS);
}

/** The first instant of local day `day`. */
export function startOfLocalDay(day: DayNumber, timeZone: string): number {
  const wall = day * DAY_MS;
  // Two passes settle the offset in effect at the local midnight (it may differ from the one
  // at the UTC midnight of that date).
  let t = wall - offsetAt(wall, timeZone);
  t = wall - offsetAt(t, timeZone);
  if (localDay(t, timeZone) !== day) {
    // Midnight falls in a gap (clocks jumped from 23:59 to 01:00): the day starts at the end of
    // the gap. Gaps are at most a few hours; step forward to the first instant of the day.
    for (let step = t; step < t + 4 * HOUR_MS; step += 15 * 60_000) if (localDay(step, timeZone) === day) return refine(step - 15 * 60_000, step, day, timeZone);
  } else if (localDay(t - 1, timeZone) === day) {
    // An overlap put an earlier instant on the same day: go back to the first one.
    for (let step = t; ; step -= 15 * 60_000) if (localDay(step - 1, timeZone) !== day) return step;
  }
  return t;
}

/** The first instant in (lo, hi] on `day`, by bisection (lo is before the day, hi on it). */
function refine(lo: number, hi: number, day: DayNumber, timeZone: string): number {
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (localDay(mid, timeZone) === day) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** ISO weekday of a day number, Monday 0 to Sunday 6 (1970-01-01 was a Thursday). */
export function weekdayOf(day: DayNumber): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** YYYY-MM-DD of a day number. */
export function isoDate(day: DayNumber): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}
