import { Emitter } from '../core/emitter.js';
import type { JsonValue } from '../core/types.js';
import { SignalingError } from './errors.js';
import type { Session } from './Presence.js';
import type { Remote } from './Roster.js';
import type { SignalingStore } from './SignalingStore.js';
import type { Signal } from './types.js';
import { DEFAULT_CHANNEL, signalAad, type Frame, type Message } from './wire.js';

const BACKLOG_LIMIT = 256;
/** The most signals kept for all peers together (a publisher can speak under many peer ids). */
const BACKLOG_TOTAL = 4096;

/** What a {@link SignalInbox} needs from the rest of signaling. */
export interface SignalInboxContext {
  readonly selfId: string;
  /** The `encrypt` option: `'required'` drops plaintext direct signals. */
  readonly encrypt: boolean | 'required';
  readonly store: SignalingStore;
  /** Whether `remote` is still the current session of its peer in the current `session` (checked after decryption). */
  isCurrent(session: Session, remote: Remote): boolean;
  report(error: unknown): void;
}

/**
 * The signal inbox: decrypts incoming signals and hands them out — to the `signal` event, and to
 * the consumers of a peer's channel ({@link SignalInbox.consume}). Direct signals of a channel other
 * than the default one that arrive while nobody consumes it are kept per peer (at most 256 in all its
 * channels, the oldest let go first, until the peer leaves; 4096 for all peers together, the largest
 * backlog letting go first), so a WebRTC connection created late still sees the offer sent early.
 */
export class SignalInbox {
  readonly #ctx: SignalInboxContext;
  /** Consumers by `peer\nchannel`; an entry goes with its last consumer. */
  readonly #consumers = new Map<string, Emitter<{ signal: Signal }>>();
  /** Kept signals by peer, every channel together, oldest first. */
  readonly #backlog = new Map<string, Signal[]>();
  /** How many signals {@link SignalInbox.#backlog} holds in all. */
  #kept = 0;

  constructor(context: SignalInboxContext) {
    this.#ctx = context;
  }

  /** Receives the direct signals of one peer on one channel, starting with the kept ones. */
  consume(peerId: string, channel: string, handler: (signal: Signal) => void): () => void {
    const key = `${peerId}\n${channel}`;
    let consumers = this.#consumers.get(key);
    if (!consumers) {
      const created = new Emitter<{ signal: Signal }>({
        onLast: () => {
          if (this.#consumers.get(key) === created) this.#consumers.delete(key);
        },
      });
      this.#consumers.set(key, created);
      consumers = created;
    }
    const off = consumers.on('signal', handler);
    const backlog = this.#backlog.get(peerId);
    const kept = backlog?.filter((signal) => signal.channel === channel) ?? [];
    if (backlog && kept.length > 0) {
      // Signals are kept only while a channel has no consumer: this handler is its only one.
      const rest = backlog.filter((signal) => signal.channel !== channel);
      this.#kept -= kept.length;
      if (rest.length > 0) this.#backlog.set(peerId, rest);
      else this.#backlog.delete(peerId);
      for (const signal of kept) consumers.emit('signal', signal);
    }
    return off;
  }

  /** Handles a `signal` message of `remote` (decrypting it first when encrypted); returns the decryption work. */
  receive(session: Session, remote: Remote, frame: Frame, message: Message, direct: boolean): Promise<void> | undefined {
    const channel = message.ch ?? DEFAULT_CHANNEL;
    if (message.enc) {
      if (!direct || !session.crypto || remote.key === undefined) {
        this.#ctx.report(new SignalingError('parse', `An encrypted signal from "${frame.from}" cannot be decrypted here.`));
        return undefined;
      }
      const aad = signalAad(frame.from, frame.sid, this.#ctx.selfId, session.sid, message.seq, channel);
      return session.crypto.open(remote, message.enc, aad).then(
        (text) => {
          if (this.#ctx.isCurrent(session, remote)) {
            this.#deliver({ from: frame.from, data: JSON.parse(text) as JsonValue, channel, direct: true, encrypted: true });
          }
        },
        (cause: unknown) => this.#ctx.report(new SignalingError('parse', `A signal from "${frame.from}" failed to decrypt; it was dropped.`, { cause })),
      );
    }
    if (direct && this.#ctx.encrypt === 'required') {
      this.#ctx.report(new SignalingError('parse', `A plaintext direct signal from "${frame.from}" was dropped: encryption is required.`));
      return undefined;
    }
    this.#deliver({ from: frame.from, data: message.data ?? null, channel, direct, encrypted: false });
    return undefined;
  }

  /** Drops what was kept for a peer (it left). */
  forget(peerId: string): void {
    this.#kept -= this.#backlog.get(peerId)?.length ?? 0;
    this.#backlog.delete(peerId);
  }

  /** Removes every consumer. */
  clear(): void {
    this.#consumers.clear();
  }

  /** Lets the oldest signal of one backlog go. */
  #letGo(backlog: Signal[]): void {
    backlog.shift();
    this.#kept--;
  }

  #deliver(signal: Signal): void {
    const consumers = signal.direct ? this.#consumers.get(`${signal.from}\n${signal.channel}`) : undefined;
    if (consumers?.hasListeners()) {
      consumers.emit('signal', signal);
    } else if (signal.direct && signal.channel !== DEFAULT_CHANNEL) {
      const kept = this.#backlog.get(signal.from) ?? [];
      kept.push(signal);
      this.#backlog.set(signal.from, kept);
      this.#kept++;
      if (kept.length > BACKLOG_LIMIT) this.#letGo(kept);
      else if (this.#kept > BACKLOG_TOTAL) {
        // The largest backlog lets go first: a flood costs the flooder, not a peer waiting with one offer.
        let largest = kept;
        for (const backlog of this.#backlog.values()) if (backlog.length > largest.length) largest = backlog;
        this.#letGo(largest);
      }
    }
    this.#ctx.store.emit('signal', signal);
  }
}
