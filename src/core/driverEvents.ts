import { Emitter, reportError } from './emitter.js';
import { SseError } from './errors.js';
import type { DriverEvent, DriverState, SseDriverEvents } from './types.js';

/**
 * What a driver tells its listeners — `'state'`, `'event'` (the timeline) and `'error'` — each
 * behind a safe emit: a listener that throws is reported as a `listener` error and delivery goes on.
 */
export class DriverEvents {
  readonly #state = new Emitter<{ state: DriverState }>({ onListenerError: (cause) => this.listenerError(cause, true) });
  readonly #timeline = new Emitter<{ event: DriverEvent }>({ onListenerError: (cause) => this.listenerError(cause, false) });
  /** `'error'` listeners and the `onError` option. */
  readonly #errors = new Emitter<{ error: SseError }>();

  constructor(onError: ((error: SseError) => void) | undefined) {
    if (onError) this.#errors.on('error', onError);
  }

  /** See `SseDriver.on`. */
  on<K extends keyof SseDriverEvents>(type: K, listener: (payload: SseDriverEvents[K]) => void): () => void {
    if (type === 'state') return this.#state.on('state', listener as (state: DriverState) => void);
    if (type === 'event') return this.#timeline.on('event', listener as (event: DriverEvent) => void);
    if (type === 'error') return this.#errors.on('error', listener as (error: SseError) => void);
    throw new SseError('misuse', `SseDriver.on() got an unknown event type: ${String(type)}.`, { hint: "Use 'state', 'event' or 'error'." });
  }

  /** Whether anyone listens to the timeline (update events are built only then). */
  readonly watched = (): boolean => this.#timeline.hasListeners();

  readonly state = (state: DriverState): void => this.#state.emit('state', state);

  readonly timeline = (event: DriverEvent): void => this.#timeline.emit('event', event);

  /** A background error: on the timeline (with the matchers the hub refused, for a refused switch) and to the `'error'` listeners. */
  readonly error = (error: SseError, refused?: readonly string[]): void => {
    this.timeline(refused === undefined ? { type: 'error', error } : { type: 'error', error, refused });
    this.#errors.emit('error', error);
  };

  /**
   * A listener threw: delivery goes on, and the fault is reported as a `listener` error through
   * the `'error'` listeners (and the timeline, unless a timeline listener threw); without any,
   * through the platform's `reportError`.
   */
  readonly listenerError = (cause: unknown, toTimeline: boolean): void => {
    const error = new SseError('listener', 'A listener threw; delivery went on.', { cause, hint: 'Catch errors inside your listeners.' });
    if (toTimeline) this.timeline({ type: 'error', error });
    if (this.#errors.hasListeners()) this.#errors.emit('error', error);
    else reportError(cause);
  };

  /** Removes every listener. */
  clear(): void {
    this.#state.clear();
    this.#timeline.clear();
    this.#errors.clear();
  }
}
