import type { DriverState } from './types.js';

/**
 * The state of a driver before it connected: what a fresh `SseDriver` reports, and the server (and
 * hydration) snapshot of every hook that shows connection state.
 */
export const INITIAL_DRIVER_STATE: DriverState = Object.freeze({
  status: 'idle',
  lastEventId: undefined,
  retries: 0,
  error: undefined,
  protocol: undefined,
});
