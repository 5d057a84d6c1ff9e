import type { SseDriver } from '../core/SseDriver.js';
import type { SseUpdate } from '../core/types.js';
import { SerialQueue } from './SerialQueue.js';
import type { SignalingTopics } from './topics.js';
import { decodeFrame, type Frame } from './wire.js';

/** What a room subscription tells its session. */
export interface RoomSubscriptionHandlers {
  /** The subscription became live at the hub: the first open carrying it, and every reconnect — never a seamless matcher switch. */
  active(): void;
  /** The shared stream dropped (a failing successor of a matcher switch is no drop). */
  dropped(): void;
  /** The driver was destroyed: nothing reaches the room any more. */
  closed(): void;
  /** A frame arrived (`direct`: on this peer's inbox). Returned work (decryption) holds the next frames. */
  frame(frame: Frame, direct: boolean): Promise<void> | undefined;
  /** What `frame` threw or rejected with. */
  report(error: unknown): void;
}

/**
 * Subscribes one session to the room topic and this peer's inbox on the driver's shared connection.
 * Frames are handled in arrival order; only decryption awaits, so plaintext is handled synchronously.
 * @returns a function that ends the subscription (frames still waiting are dropped).
 * @throws what `driver.subscribe` throws (a destroyed driver); nothing is left subscribed then.
 */
export function subscribeRoom(driver: SseDriver, topics: SignalingTopics, selfId: string, handlers: RoomSubscriptionHandlers): () => void {
  const inbox = topics.inbox(selfId);
  const inbound = new SerialQueue<{ readonly frame: Frame; readonly direct: boolean }>({
    run: ([item]) => {
      try {
        return handlers.frame(item!.frame, item!.direct)?.catch(handlers.report);
      } catch (error) {
        handlers.report(error);
        return undefined;
      }
    },
  });
  let offDrops = (): void => undefined;
  let offClose = (): void => undefined;
  let unsubscribe = (): void => undefined;
  try {
    offDrops = driver.on('event', (event) => {
      if (event.type === 'drop' && event.connection === 'main' && !event.switching) handlers.dropped();
    });
    offClose = driver.on('state', () => {
      if (driver.destroyed) handlers.closed();
    });
    unsubscribe = driver.subscribe(
      [topics.room, inbox],
      (update: SseUpdate) => {
        const frame = decodeFrame(update.data);
        if (frame) void inbound.push({ frame, direct: update.topic === inbox });
      },
      { onActive: () => handlers.active() },
    );
  } catch (error) {
    offDrops();
    offClose();
    unsubscribe();
    throw error;
  }
  return () => {
    unsubscribe();
    offDrops();
    offClose();
    inbound.clear();
  };
}
