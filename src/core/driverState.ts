import type { SseError } from './errors.js';
import type { ConnectionStatus, DriverState } from './types.js';

/** What the driver state is computed from: one live stream per slot. */
export interface StreamView {
  readonly status: ConnectionStatus;
  readonly error: SseError | undefined;
  readonly retries: number;
  readonly lastEventId: string | undefined;
}

/** Inputs of {@link driverState}. */
export interface DriverStateInput {
  /** The live stream of every slot. */
  readonly streams: readonly StreamView[];
  /** The live stream of the shared (`main`) slot, if any. */
  readonly main: StreamView | undefined;
  readonly destroyed: boolean;
  /** The wire variant in use, once known. */
  readonly protocol: string | undefined;
}

/** Status by precedence: the worst status of any stream wins. */
const PRECEDENCE: readonly ConnectionStatus[] = ['error', 'reconnecting', 'connecting', 'open', 'closed'];

/**
 * The driver state as a pure function of its streams. Returns `previous` itself when nothing
 * changed, so `getSnapshot()` is a stable snapshot for `useSyncExternalStore`.
 */
export function driverState(input: DriverStateInput, previous: DriverState): DriverState {
  const statuses = new Set(input.streams.map((s) => s.status));
  const status: ConnectionStatus = input.destroyed ? 'closed' : (PRECEDENCE.find((s) => statuses.has(s)) ?? 'idle');
  const errored = input.streams.find((s) => s.error !== undefined);
  const next: DriverState = {
    status,
    lastEventId: input.main?.lastEventId ?? previous.lastEventId,
    retries: input.streams.reduce((max, s) => Math.max(max, s.retries), 0),
    // An error stays on display until the driver is healthy again.
    error: (input.main?.error ?? errored?.error) ?? (status === 'open' || status === 'idle' ? undefined : previous.error),
    protocol: input.protocol,
  };
  const same =
    previous.status === next.status &&
    previous.lastEventId === next.lastEventId &&
    previous.retries === next.retries &&
    previous.error === next.error &&
    previous.protocol === next.protocol;
  return same ? previous : Object.freeze(next);
}
