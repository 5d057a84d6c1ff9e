import type { Connection } from './connection.js';
import type { ResolvedPlatform } from './platform.js';
import type { RecentIds } from './recentIds.js';

/** Longest time an old stream keeps draining after its successor opened. */
export const DRAIN_MS = 1000;

/**
 * The predecessor of a seamless switch, still read beside its successor: both deliver the same
 * updates for a while, so the slot's de-duplication memory checks every key meanwhile (an
 * overlap). The drain ends once the two streams are in step, or after {@link DRAIN_MS}.
 */
export class Drain {
  /** The old stream. */
  readonly connection: Connection;
  /** Dedup key of the last update the old stream delivered. */
  #last: string | undefined;
  readonly #seen: RecentIds;
  readonly #platform: ResolvedPlatform;
  readonly #timer: unknown;

  /**
   * @param last - dedup key of the last update delivered before the switch.
   * @param expire - called when the drain ran out of time.
   */
  constructor(connection: Connection, last: string | undefined, seen: RecentIds, platform: ResolvedPlatform, expire: () => void) {
    this.connection = connection;
    this.#last = last;
    this.#seen = seen;
    this.#platform = platform;
    connection.switching = true;
    seen.beginOverlap();
    this.#timer = platform.setTimeout(expire, DRAIN_MS);
  }

  /**
   * Follows a keyed update from `source` (`fresh`: delivered for the first time); returns whether
   * the streams are now in step — the old one repeats what the new one gave, or the new stream
   * (`live`) delivered what the old one last did.
   */
  inStep(source: object, live: object | undefined, key: string, fresh: boolean): boolean {
    if (source === this.connection) {
      if (!fresh) return true;
      this.#last = key;
      return false;
    }
    return source === live && key === this.#last;
  }

  /** Ends the overlap and closes the old stream. */
  close(): void {
    this.#platform.clearTimeout(this.#timer);
    this.#seen.endOverlap();
    this.connection.close();
  }
}
