import type { PeerConnection, PeerConnectionSnapshot } from '../signaling/PeerConnection.js';

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
  readonly #listeners = new Set<() => void>();
  readonly #messageListeners = new Set<(data: unknown) => void>();

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
      const offMessage = connection.onMessage((data) => {
        for (const listener of [...this.#messageListeners]) listener(data);
      });
      this.#off = () => {
        offState();
        offMessage();
      };
      this.#setSnapshot(connection.getSnapshot());
    }
  }

  getSnapshot = (): PeerConnectionSnapshot => this.#snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  };

  onMessage = (listener: (data: unknown) => void): (() => void) => {
    this.#messageListeners.add(listener);
    return () => {
      this.#messageListeners.delete(listener);
    };
  };

  #setSnapshot(snapshot: PeerConnectionSnapshot): void {
    if (snapshot === this.#snapshot) return;
    this.#snapshot = snapshot;
    for (const listener of [...this.#listeners]) listener();
  }
}
