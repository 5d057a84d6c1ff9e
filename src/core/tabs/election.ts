import type { TabLocks } from './types.js';

/**
 * Leader election over one Web Lock: the tab holding the lock leads. A closed or crashed tab releases
 * it at once, and the next tab in the lock's queue takes it. A visible tab may take it from a hidden
 * leader (`steal`).
 */
export class LeaderElection {
  readonly #locks: TabLocks;
  readonly #name: string;
  readonly #changed: (leader: boolean) => void;
  /** Bumped by every new request: callbacks of older requests are stale. */
  #generation = 0;
  #abort: AbortController | undefined;
  #release: (() => void) | undefined;
  #leader = false;
  #running = false;

  /** @param changed - called with `true` when this tab becomes leader, `false` when it is known to follow or lost the lead. */
  constructor(locks: TabLocks, name: string, changed: (leader: boolean) => void) {
    this.#locks = locks;
    this.#name = name;
    this.#changed = changed;
  }

  /** Whether this tab holds the lock. */
  get leader(): boolean {
    return this.#leader;
  }

  /** Takes the lock if it is free (leader at once), else queues for it (follower until granted). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#request('try');
  }

  /** Takes the lock from the current holder (who becomes a follower and queues again). */
  steal(): void {
    if (!this.#running || this.#leader) return;
    this.#request('steal');
  }

  /** Releases the lock or leaves the queue. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#generation++;
    this.#abort?.abort();
    this.#abort = undefined;
    this.#dropLead();
  }

  #request(mode: 'try' | 'queue' | 'steal'): void {
    const generation = ++this.#generation;
    this.#abort?.abort();
    const abort = mode === 'queue' ? new AbortController() : undefined;
    this.#abort = abort;
    const options = mode === 'try' ? { ifAvailable: true } : mode === 'steal' ? { steal: true } : { signal: (abort as AbortController).signal };
    let held = false;
    const done = this.#locks.request(this.#name, options, (lock) => {
      if (generation !== this.#generation) return undefined; // stale: returning releases it at once
      if (lock === null) {
        this.#changed(false);
        this.#request('queue');
        return undefined;
      }
      held = true;
      this.#leader = true;
      this.#changed(true);
      return new Promise<void>((resolve) => {
        this.#release = resolve;
      });
    });
    // Settles when the lock is released, or rejects when it was stolen or the request aborted.
    done.then(
      () => this.#lost(generation, held),
      () => this.#lost(generation, held),
    );
  }

  /** The lock of `generation` ended: when it was not released by us, another tab stole it. */
  #lost(generation: number, held: boolean): void {
    if (!held || generation !== this.#generation) return;
    this.#dropLead();
    if (this.#running) this.#request('queue');
  }

  #dropLead(): void {
    const release = this.#release;
    this.#release = undefined;
    const was = this.#leader;
    this.#leader = false;
    release?.();
    if (was) this.#changed(false);
  }
}
