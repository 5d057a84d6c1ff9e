import type { SseDriver } from '../core/SseDriver.js';
import { Emitter } from '../core/emitter.js';
import { PeerSignaling } from '../signaling/PeerSignaling.js';
import type { PeerSignalingOptions, SignalingSnapshot } from '../signaling/types.js';

/** What a {@link SignalingObserver} joins: a room on a driver, with settings fixed by `key`. */
export interface SignalingTarget {
  readonly driver: SseDriver;
  readonly room: string;
  /** Value key of the driver-independent settings; a change makes a new {@link PeerSignaling}. */
  readonly key: string;
  readonly settings: PeerSignalingOptions;
}

/** What `usePeerSignaling` reads: the instance in use and its snapshot. */
export interface SignalingView {
  readonly signaling: PeerSignaling;
  readonly state: SignalingSnapshot;
}

/**
 * The store behind one `usePeerSignaling` call, for the component's lifetime (created in
 * `useState`, read with `useSyncExternalStore`, given the latest target from an effect). It owns
 * the {@link PeerSignaling} of its target — replaced when the driver, the room or a setting
 * changes — and destroys it (window listeners and all) a microtask after the last mount released
 * it, so StrictMode's unmount/remount and a hidden `<Activity>` keep it usable.
 */
export class SignalingObserver {
  #target: SignalingTarget;
  #signaling: PeerSignaling;
  #view: SignalingView;
  #serverView: SignalingView | undefined;
  #mounts = 0;
  #off: (() => void) | undefined;
  readonly #emitter = new Emitter({
    onFirst: () => {
      this.#off = this.#signaling.subscribe(this.#onChange);
    },
    onLast: () => {
      this.#off?.();
      this.#off = undefined;
    },
  });

  /** @throws {SignalingError} `misuse` for settings {@link PeerSignaling} refuses. */
  constructor(target: SignalingTarget) {
    this.#target = target;
    this.#signaling = create(target);
    this.#view = { signaling: this.#signaling, state: this.#signaling.getSnapshot() };
  }

  /** `useSyncExternalStore` subscribe: follows the current instance's snapshot. */
  readonly subscribe = (listener: () => void): (() => void) => this.#emitter.subscribe(listener);

  /** The instance in use and its snapshot (the same object until one of them changed). */
  readonly getSnapshot = (): SignalingView => {
    const state = this.#signaling.getSnapshot();
    if (this.#view.signaling !== this.#signaling || this.#view.state !== state) this.#view = { signaling: this.#signaling, state };
    return this.#view;
  };

  /** The server (and hydration) view: idle, in no room, with `selfId` (the given peer id, or `''`). */
  getServerSnapshot(selfId: string): SignalingView {
    if (this.#serverView === undefined || this.#serverView.state.selfId !== selfId) {
      this.#serverView = { signaling: this.#signaling, state: idleSnapshot(selfId) };
    }
    return this.#serverView;
  }

  /** Whether the current instance serves `driver` and `key`. */
  isFor(driver: SseDriver, key: string): boolean {
    return this.#target.driver === driver && this.#target.key === key;
  }

  /** Joins with `target` from now on: a changed one destroys the current instance and makes a new one. */
  setTarget(target: SignalingTarget): void {
    if (this.isFor(target.driver, target.key)) return;
    const previous = this.#signaling;
    this.#target = target;
    this.#signaling = create(target);
    if (this.#off !== undefined) {
      this.#off();
      this.#off = this.#signaling.subscribe(this.#onChange);
    }
    previous.destroy();
    this.#emitter.notify();
  }

  /** A component mounted with this observer. */
  retain(): void {
    this.#mounts++;
  }

  /** A component unmounted: destroys the instance unless it is mounted again within the same task. */
  release(): void {
    this.#mounts--;
    queueMicrotask(() => {
      if (this.#mounts === 0) this.#signaling.destroy();
    });
  }

  readonly #onChange = (): void => {
    this.#emitter.notify();
  };
}

function create({ driver, room, settings }: SignalingTarget): PeerSignaling {
  return new PeerSignaling(driver, room, settings);
}

/** The snapshot of a member that has not joined. */
export function idleSnapshot(selfId: string): SignalingSnapshot {
  return Object.freeze({ status: 'idle', selfId, peers: Object.freeze([]) });
}
