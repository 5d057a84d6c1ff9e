'use client';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Formatters in the user's locale, made on first use (never at import time) and kept. */
let formats:
  | {
      readonly relative: Intl.RelativeTimeFormat;
      readonly clock: Intl.DateTimeFormat;
      readonly weekday: Intl.DateTimeFormat;
      readonly date: Intl.DateTimeFormat;
      readonly year: Intl.DateTimeFormat;
    }
  | undefined;

function formatters(): NonNullable<typeof formats> {
  formats ??= {
    relative: new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'long' }),
    clock: new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' }),
    weekday: new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: 'numeric', minute: '2-digit' }),
    date: new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }),
    year: new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' }),
  };
  return formats;
}

const sameDay = (a: Date, b: Date): boolean => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

/**
 * A compact time of `time` as seen at `now` (both in ms since the epoch), in the user's locale: relative
 * while recent — "now" within a minute, "2 minutes ago" within the hour — then a clock time ("9:41 AM")
 * for earlier today, the weekday and time ("Fri 5:40 PM") within the last six days, the date and time
 * ("Nov 20, 5:40 PM") within the year, and the date alone ("Nov 20, 2025") before. `TopicFeed`'s default
 * `formatTime`.
 */
export function formatRelativeTime(time: number, now: number): string {
  const f = formatters();
  const ago = now - time;
  // A little ahead (another machine's clock) still reads "now".
  if (ago < MINUTE && ago > -MINUTE) return f.relative.format(0, 'second');
  if (ago >= MINUTE && ago < HOUR) return f.relative.format(-Math.floor(ago / MINUTE), 'minute');
  const date = new Date(time);
  const today = new Date(now);
  if (sameDay(date, today)) return f.clock.format(date);
  if (ago > 0 && ago < 6 * DAY) return f.weekday.format(date);
  return date.getFullYear() === today.getFullYear() ? f.date.format(date) : f.year.format(date);
}
