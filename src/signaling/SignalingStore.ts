import { Emitter } from '../core/emitter.js';
import type { OutboxStatus, Peer, SignalingEventMap, SignalingSnapshot, SignalingStatus } from './types.js';

/**
 * The observable side of a {@link PeerSignaling}: its snapshot (a new frozen object on every change,
 * for `useSyncExternalStore`) and its typed events, on the shared {@link Emitter} (a throwing listener
 * is reported and never stops delivery).
 */
export class SignalingStore {
  readonly #emitter = new Emitter<SignalingEventMap>();
  #snapshot: SignalingSnapshot;

  constructor(selfId: string) {
    this.#snapshot = Object.freeze({ status: 'idle', selfId, peers: Object.freeze([]), outbox: 'ok' });
  }

  /** The current snapshot. */
  getSnapshot = (): SignalingSnapshot => this.#snapshot;

  /** Adds a snapshot listener; returns its unsubscribe function. */
  subscribe = (listener: () => void): (() => void) => this.#emitter.subscribe(listener);

  /** Adds a listener for one event type; returns its unsubscribe function. */
  on<K extends keyof SignalingEventMap>(type: K, listener: (event: SignalingEventMap[K]) => void): () => void {
    return this.#emitter.on(type, listener);
  }

  /** Emits one event. */
  emit<K extends keyof SignalingEventMap>(type: K, event: SignalingEventMap[K]): void {
    this.#emitter.emit(type, event);
  }

  /** Sets the status and emits `status` (snapshot listeners are told unless `notify` is false: a change of peers follows). */
  setStatus(status: SignalingStatus, notify = true): void {
    if (this.#snapshot.status === status) return;
    this.#snapshot = Object.freeze({ ...this.#snapshot, status });
    if (notify) this.#emitter.notify();
    this.#emitter.emit('status', { status });
  }

  /** Replaces the list of peers. */
  setPeers(peers: Iterable<Peer>): void {
    this.#snapshot = Object.freeze({ ...this.#snapshot, peers: Object.freeze([...peers]) });
    this.#emitter.notify();
  }

  /** Sets the state of the outbox. */
  setOutbox(outbox: OutboxStatus): void {
    if (this.#snapshot.outbox === outbox) return;
    this.#snapshot = Object.freeze({ ...this.#snapshot, outbox });
    this.#emitter.notify();
  }

  /** Removes every listener. */
  clear(): void {
    this.#emitter.clear();
  }
}
