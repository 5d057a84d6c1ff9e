import type { SseDriver } from '../core/SseDriver.js';
import type { JsonValue } from '../core/types.js';
import { SerialQueue } from './SerialQueue.js';
import { encodeFrame, type FrameSender, type Message } from './wire.js';

interface Outgoing {
  readonly sender: FrameSender;
  readonly topic: string;
  /** A promise while it is being built (keys, encryption). */
  readonly message: Message | Promise<Message>;
}

/** Options of an {@link Outbox}. */
export interface OutboxOptions {
  readonly driver: SseDriver;
  /** Publish as private updates. */
  readonly private: boolean;
}

/**
 * Outgoing signaling messages: they leave one publish at a time, in order, consecutive ones of one
 * session to one topic batched into one frame.
 */
export class Outbox {
  readonly #driver: SseDriver;
  readonly #private: boolean;
  readonly #queue: SerialQueue<Outgoing>;

  constructor(options: OutboxOptions) {
    this.#driver = options.driver;
    this.#private = options.private;
    this.#queue = new SerialQueue<Outgoing>({
      joins: (head, next) => next.topic === head.topic && next.sender === head.sender,
      run: (batch) => this.#publishBatch(batch),
    });
  }

  /**
   * Queues a message of `sender` to `topic`.
   * @returns a promise settled once the hub accepted the publish carrying it.
   */
  send(sender: FrameSender, topic: string, message: Message | Promise<Message>): Promise<void> {
    return this.#queue.push({ sender, topic, message });
  }

  /** Publishes a payload at once, bypassing the queue (the page is going away). */
  async publishNow(topic: string, payload: JsonValue, id: string): Promise<void> {
    await this.#driver.publish(topic, payload, { id, private: this.#private });
  }

  async #publishBatch(batch: readonly Outgoing[]): Promise<void> {
    const head = batch[0]!;
    const messages = await Promise.all(batch.map((item) => item.message));
    await this.#driver.publish(head.topic, encodeFrame(head.sender, messages), { private: this.#private });
  }
}
