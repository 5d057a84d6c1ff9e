import { describe, expect, it } from 'vitest';
import { STORY_EPOCH, StoryClock } from '../../stories/support/storyClock.js';

describe('StoryClock', () => {
  it('starts at the story epoch and, once held, moves only when advanced, firing timers in order', () => {
    const clock = new StoryClock();
    expect(clock.now()).toBeGreaterThanOrEqual(STORY_EPOCH);
    clock.hold();
    const start = clock.now();
    const fired: Array<[string, number]> = [];
    clock.setTimeout(() => fired.push(['b', clock.now() - start]), 200);
    clock.setTimeout(() => fired.push(['a', clock.now() - start]), 100);
    const every = clock.setInterval(() => fired.push(['tick', clock.now() - start]), 150);
    const cancelled = clock.setTimeout(() => fired.push(['cancelled', 0]), 50);
    clock.clearTimeout(cancelled);
    expect(clock.now()).toBe(start);
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(201);
    expect(fired).toEqual([
      ['a', 100],
      ['tick', 150],
      ['b', 200],
      ['tick', 300],
    ]);
    expect(clock.now()).toBe(start + 300);
    clock.clearInterval(every);
    clock.advance(1000);
    expect(fired).toHaveLength(4);
  });

  it('still runs what is due now while held (time stands still, the app does not)', async () => {
    const clock = new StoryClock();
    clock.hold();
    const later = clock.setTimeout(() => undefined, 1);
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 0));
    clock.clearTimeout(later);
  });

  it('refuses to advance while real time moves it, and follows real time again on release without a jump', async () => {
    const clock = new StoryClock(0);
    expect(() => clock.advance(10)).toThrow(/hold/);
    clock.hold();
    clock.advance(5_000);
    clock.release();
    expect(clock.now()).toBeGreaterThanOrEqual(5_000);
    const fired = await new Promise<number>((resolve) => clock.setTimeout(() => resolve(clock.now()), 5));
    expect(fired).toBeGreaterThanOrEqual(5_005);
  });
});
