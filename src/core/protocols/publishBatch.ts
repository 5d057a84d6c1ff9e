import type { PublishInput } from './types.js';

interface Entry {
  readonly update: PublishInput;
  readonly signal: AbortSignal;
  readonly resolve: (id: string) => void;
  readonly reject: (error: unknown) => void;
}

/** Sends several updates in one request; resolves with their ids, in order. */
export type SendBatch = (updates: readonly PublishInput[], signal: AbortSignal) => Promise<readonly string[]>;

/**
 * Groups publishes for servers that take several in one request: the publishes made in the same
 * task go together, and those made while a request is in flight go in the next one, in order.
 */
export class PublishBatch {
  readonly #send: SendBatch;
  #queue: Entry[] = [];
  #busy = false;

  constructor(send: SendBatch) {
    this.#send = send;
  }

  /**
   * Queues one update; resolves with its id. Aborting `signal` settles it at once: before it is
   * sent it leaves the queue; once sent, the request goes on for the other updates in it (this one
   * may still reach the server).
   */
  add(update: PublishInput, signal: AbortSignal): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const entry: Entry = { update, signal, resolve, reject };
      this.#queue.push(entry);
      signal.addEventListener(
        'abort',
        () => {
          const index = this.#queue.indexOf(entry);
          if (index !== -1) this.#queue.splice(index, 1);
          reject(signal.reason);
        },
        { once: true },
      );
      if (!this.#busy) {
        this.#busy = true;
        queueMicrotask(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0);
      // The request is aborted only when every publish in it was.
      const controller = new AbortController();
      const onAbort = () => {
        if (batch.every((e) => e.signal.aborted)) controller.abort();
      };
      for (const e of batch) e.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const ids = await this.#send(
          batch.map((e) => e.update),
          controller.signal,
        );
        batch.forEach((e, i) => e.resolve(ids[i] ?? e.update.id));
      } catch (error) {
        for (const e of batch) e.reject(error);
      } finally {
        for (const e of batch) e.signal.removeEventListener('abort', onAbort);
      }
    }
    this.#busy = false;
  }
}
