import type { UiClock } from '../../src/ui/index.js';

/** A clock whose time and timers move only by `advance`. */
export function manualClock(start: number) {
  let now = start;
  let next = 0;
  const timers = new Map<number, { due: number; callback: () => void }>();
  const clock: UiClock = {
    now: () => now,
    setTimeout: (callback, ms) => {
      timers.set(++next, { due: now + ms, callback });
      return next;
    },
    clearTimeout: (handle) => {
      timers.delete(handle as number);
    },
  };
  const advance = (ms: number) => {
    const target = now + ms;
    for (;;) {
      const [id, timer] = [...timers].sort((a, b) => a[1].due - b[1].due)[0] ?? [];
      if (id === undefined || timer === undefined || timer.due > target) break;
      timers.delete(id);
      now = timer.due;
      timer.callback();
    }
    now = target;
  };
  return { clock, advance, pending: () => timers.size };
}
