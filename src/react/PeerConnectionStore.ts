import { Emitter } from '../core/emitter.js';
import type { PeerConnection } from '../signaling/PeerConnection.js';
import type { PeerConnectionSnapshot } from '../signaling/peerConnectionTypes.js';

const IDLE: PeerConnectionSnapshot = Object.freeze({
  state: 'new',
  channelState: 'none',
  lastMessage: undefined,
  remoteStream: undefined,
  polite: false,
});

/**
 * Holds the {@link PeerConnection} a `usePeerConnection` call currently owns (it is replaced when
 * the peer or the settings change) and exposes its snapshot and messages as one stable store.
 */
export class PeerConnectionStore {
  #current: PeerConnection | undefined;
  #snapshot: PeerConnectionSnapshot = IDLE;
  #off: (() => void) | undefined;
  readonly #emitter = new Emitter<{ message: unknown }>();

  /** The connection in use. */
  get current(): PeerConnection | undefined {
    return this.#current;
  }

  /** Switches to `connection` (or to none), keeping the last snapshot of a closed one visible. */
  set(connection: PeerConnection | undefined): void {
    this.#off?.();
    this.#off = undefined;
    this.#current = connection;
    if (connection) {
      const offState = connection.subscribe(() => this.#setSnapshot(connection.getSnapshot()));
      const offMessage = connection.onMessage((data) => this.#emitter.emit('message', data));
      this.#off = () => {
        offState();
        offMessage();
      };
      this.#setSnapshot(connection.getSnapshot());
    }
  }

  /** `useSyncExternalStore` snapshot: the connection's, or the last one of a closed connection. */
  readonly getSnapshot = (): PeerConnectionSnapshot => this.#snapshot;

  /** `useSyncExternalStore` subscribe. */
  readonly subscribe = (listener: () => void): (() => void) => this.#emitter.subscribe(listener);

  /** Adds a data channel message listener (for whichever connection is current); returns its remover. */
  readonly onMessage = (listener: (data: unknown) => void): (() => void) => this.#emitter.on('message', listener);

  #setSnapshot(snapshot: PeerConnectionSnapshot): void {
    if (snapshot === this.#snapshot) return;
    this.#snapshot = snapshot;
    this.#emitter.notify();
  }
}
