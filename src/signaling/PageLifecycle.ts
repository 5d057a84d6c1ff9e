import { encodeEnvelope } from '../core/envelope.js';
import { buildPublishBody } from '../core/protocol.js';
import type { JsonValue } from '../core/types.js';
import type { SignalingPlatform } from './types.js';

/** What the page's comings and goings do to signaling. */
export interface PageLifecycleHandlers {
  /** The page is going away (`pagehide`): leave with a beacon. Returns whether there was a session to leave. */
  hide(): boolean;
  /** The page came back from the back/forward cache after a `hide` that left: rejoin. */
  show(): void;
}

/** What a beacon publish carries. */
export interface BeaconPublish {
  /** The hub URL. */
  readonly url: string;
  readonly topic: string;
  /** The driver's client id (the envelope's sender). */
  readonly sender: string;
  readonly payload: JsonValue;
  /** Message id, shared with the regular publish of the same payload: receivers keep one. */
  readonly id: string;
  readonly private: boolean;
}

/**
 * Page lifecycle through the platform seams (`events`, `sendBeacon`): on `pagehide` signaling leaves
 * with a beacon `bye` (a regular publish may die with the page); on a `pageshow` from the
 * back/forward cache it rejoins. `pagehide` is listened to while joined; `pageshow` from the first
 * join until an explicit leave, so a page that comes back can rejoin.
 */
export class PageLifecycle {
  readonly #platform: SignalingPlatform;
  readonly #handlers: PageLifecycleHandlers;
  #resumeOnShow = false;
  #watchingShow = false;

  constructor(platform: SignalingPlatform, handlers: PageLifecycleHandlers) {
    this.#platform = platform;
    this.#handlers = handlers;
  }

  /** Joined: watch for the page going away (and coming back). */
  joined(): void {
    this.#resumeOnShow = false;
    this.#platform.events?.addEventListener('pagehide', this.#onPageHide);
    if (!this.#watchingShow) {
      this.#watchingShow = true;
      this.#platform.events?.addEventListener('pageshow', this.#onPageShow);
    }
  }

  /** Left (by hand or on `pagehide`): stop watching for the page going away. */
  left(): void {
    this.#platform.events?.removeEventListener('pagehide', this.#onPageHide);
  }

  /** Left by hand: a page that comes back does not rejoin; stop listening altogether. */
  stop(): void {
    this.#resumeOnShow = false;
    if (!this.#watchingShow) return;
    this.#watchingShow = false;
    this.#platform.events?.removeEventListener('pageshow', this.#onPageShow);
  }

  /**
   * Sends a publish as a beacon, which survives the page (the regular publish carries the
   * credentials). Does nothing without a `sendBeacon` seam; a refused beacon leaves the regular publish.
   */
  beacon(publish: BeaconPublish): void {
    const send = this.#platform.sendBeacon;
    if (!send) return;
    const body = buildPublishBody({
      topics: [publish.topic],
      data: encodeEnvelope(publish.id, [publish.topic], publish.sender, publish.payload),
      id: publish.id,
      type: undefined,
      private: publish.private,
      retry: undefined,
    });
    try {
      send(publish.url, body);
    } catch {
      // A refused beacon leaves the regular publish.
    }
  }

  readonly #onPageHide = (): void => {
    if (this.#handlers.hide()) this.#resumeOnShow = true;
  };

  readonly #onPageShow = (event: Event): void => {
    if (!this.#resumeOnShow || !(event as PageTransitionEvent).persisted) return;
    this.#handlers.show();
  };
}
