import { describe, expect, it } from 'vitest';
import { formatRelativeTime } from '../../src/ui/index.js';

const MINUTE = 60_000;
// Saturday 28 November 2026, 09:41 local time.
const NOW = new Date(2026, 10, 28, 9, 41).getTime();
const at = (...parts: [number, number, number, number, number]) => new Date(...parts).getTime();

describe('formatRelativeTime', () => {
  it('says "now" within a minute, also for a clock slightly ahead', () => {
    expect(formatRelativeTime(NOW, NOW)).toBe('now');
    expect(formatRelativeTime(NOW - 59_999, NOW)).toBe('now');
    expect(formatRelativeTime(NOW + 30_000, NOW)).toBe('now');
  });

  it('counts whole minutes within the hour', () => {
    expect(formatRelativeTime(NOW - MINUTE, NOW)).toBe('1 minute ago');
    expect(formatRelativeTime(NOW - 2 * MINUTE - 59_000, NOW)).toBe('2 minutes ago');
    expect(formatRelativeTime(NOW - 59 * MINUTE, NOW)).toBe('59 minutes ago');
  });

  it('then shows a compact clock time today, the weekday within six days, the date after', () => {
    expect(formatRelativeTime(NOW - 60 * MINUTE, NOW)).toBe('8:41 AM');
    expect(formatRelativeTime(at(2026, 10, 28, 0, 5), NOW)).toBe('12:05 AM');
    expect(formatRelativeTime(at(2026, 10, 27, 17, 40), NOW)).toBe('Fri 5:40 PM');
    expect(formatRelativeTime(at(2026, 10, 22, 10, 0), NOW)).toBe('Sun 10:00 AM');
    expect(formatRelativeTime(at(2026, 10, 20, 17, 40), NOW)).toBe('Nov 20, 5:40 PM');
    expect(formatRelativeTime(at(2025, 11, 31, 23, 0), NOW)).toBe('Dec 31, 2025');
    // No seconds anywhere.
    expect(formatRelativeTime(NOW - 3 * 60 * MINUTE - 17_000, NOW)).not.toMatch(/:\d\d:\d\d/);
  });

  it('shows a time well in the future (another clock) as a clock time, not as "ago"', () => {
    expect(formatRelativeTime(NOW + 10 * MINUTE, NOW)).toBe('9:51 AM');
  });
});
