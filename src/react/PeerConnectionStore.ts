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
 * the peer or the settings change) and exposes its snapshot and messages as one stable store; for
 * another peer than the connection's it shows the idle snapshot.
 */
export class PeerConnectionStore {
  #current: PeerConnection | undefined;
  #snapshot: PeerConnectionSnapshot = IDLE;
  #off: (() => void) | undefined;
  readonly #emitter = new Emitter<{ message: unknown }>();

  /**
   * The connection in use (a closed one stays until replaced) when it is to `peerId`, or when no peer
   * is asked for (the peer left the room: its closed connection stays visible); `undefined` when it is
   * to another peer.
   */
  connectionTo(peerId: string | undefined): PeerConnection | undefined {
    const current = this.#current;
    return peerId === undefined || current?.peerId === peerId ? current : undefined;
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

  /**
   * The snapshot to show for `peerId`: that of {@link PeerConnectionStore.connectionTo} (the last
   * one, once closed), or the idle snapshot when the connection in use is to another peer.
   */
  snapshotFor(peerId: string | undefined): PeerConnectionSnapshot {
    return this.connectionTo(peerId) === undefined ? IDLE : this.#snapshot;
  }

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
