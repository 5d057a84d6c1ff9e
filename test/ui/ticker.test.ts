import { describe, expect, it } from 'vitest';
import { TICK_MS, tickerOf } from '../../src/ui/ticker.js';
import { manualClock } from './manualClock.js';

describe('tickerOf', () => {
  it('runs one timer per clock while any label listens, and none after the last leaves', () => {
    const { clock, advance, pending } = manualClock(1_000);
    const ticker = tickerOf(clock);
    expect(tickerOf(clock)).toBe(ticker);
    expect(pending()).toBe(0);
    let a = 0;
    let b = 0;
    const offA = ticker.subscribe(() => a++);
    const offB = ticker.subscribe(() => b++);
    expect(pending()).toBe(1);
    advance(TICK_MS * 3);
    expect([a, b]).toEqual([3, 3]);
    expect(ticker.now()).toBe(1_000 + TICK_MS * 3);
    offA();
    expect(pending()).toBe(1);
    offB();
    expect(pending()).toBe(0);
    // Nothing listens: the clock's own time.
    advance(1_234);
    expect(ticker.now()).toBe(1_000 + TICK_MS * 3 + 1_234);
  });

  it('gives each clock its own ticker', () => {
    expect(tickerOf(manualClock(0).clock)).not.toBe(tickerOf(manualClock(0).clock));
  });
});
