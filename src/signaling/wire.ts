/**
 * The signaling wire format: what one peer publishes to the room topic or to another peer's inbox.
 *
 * Every publish carries one {@link Frame}: who sends (peer id, session id and start), and one or more
 * {@link Message}s in publish order. Receivers read frames with {@link decodeFrame}; anything else on
 * the signaling topics is ignored.
 */
import type { JsonValue } from '../core/types.js';
import { SignalingError } from './errors.js';
import type { Sealed } from './sessionCrypto.js';

/** Default channel of {@link PeerSignaling.send} and {@link PeerSignaling.broadcast}. */
export const DEFAULT_CHANNEL = 'signal';

/**
 * Message kinds:
 * - `hello` — a peer announces itself to the room (once per activation of its subscription);
 * - `welcome` — a member answers a `hello`, straight to the newcomer's inbox;
 * - `beat` — heartbeat (and metadata changes) to the room;
 * - `bye` — the peer leaves;
 * - `signal` — an application signal (broadcast to the room, or direct to one inbox).
 */
export type MessageKind = 'hello' | 'welcome' | 'beat' | 'bye' | 'signal';

const KINDS: ReadonlySet<string> = new Set<MessageKind>(['hello', 'welcome', 'beat', 'bye', 'signal']);

/** One message on the wire. Several of them, for one topic, travel in one {@link Frame}. */
export interface Message {
  /** Per-sender, per-session sequence number: strictly increasing in publish order. */
  readonly seq: number;
  readonly t: MessageKind;
  /** Addressee's session (direct messages), so a later session of the addressee ignores it. */
  readonly tsid?: string;
  /** Metadata (presence messages, and a broadcast sent before the sender's `hello`). */
  readonly meta?: JsonValue;
  /** The sender session's ECDH public key (presence messages, encrypted signals, and a broadcast sent before the sender's `hello`). */
  readonly key?: string;
  /** Channel (signals; absent for {@link DEFAULT_CHANNEL}). */
  readonly ch?: string;
  /** Plaintext value (signals). */
  readonly data?: JsonValue;
  /** Ciphertext (encrypted direct signals). */
  readonly enc?: Sealed;
}

/** The payload published to the hub. */
export interface Frame {
  readonly sig: 1;
  readonly from: string;
  /** Sender's session id. */
  readonly sid: string;
  /** Sender's session start (ms, its clock): orders two sessions of one peer. */
  readonly at: number;
  readonly msgs: readonly Message[];
}

/** The sender of a frame: a peer id and one of its sessions. */
export interface FrameSender {
  readonly from: string;
  readonly sid: string;
  readonly at: number;
}

/** Builds the payload of one publish. */
export function encodeFrame(sender: FrameSender, msgs: readonly Message[]): JsonValue {
  const frame: Frame = { sig: 1, from: sender.from, sid: sender.sid, at: sender.at, msgs };
  return frame as unknown as JsonValue;
}

/** Reads a frame; `undefined` for anything else (which the signaling topics ignore). */
export function decodeFrame(data: unknown): Frame | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const f = data as Partial<Frame>;
  if (f.sig !== 1 || typeof f.from !== 'string' || typeof f.sid !== 'string' || typeof f.at !== 'number' || !Array.isArray(f.msgs)) return undefined;
  for (const m of f.msgs as unknown[]) {
    if (typeof m !== 'object' || m === null) return undefined;
    const msg = m as Partial<Message>;
    if (!Number.isSafeInteger(msg.seq) || typeof msg.t !== 'string' || !KINDS.has(msg.t)) return undefined;
    // The fields read as strings are strings: a channel or session that is not one never reaches a listener.
    if (!optionalString(msg.tsid) || !optionalString(msg.ch) || !optionalString(msg.key)) return undefined;
    if (msg.enc !== undefined && (typeof msg.enc !== 'object' || msg.enc === null || typeof msg.enc.iv !== 'string' || typeof msg.enc.ct !== 'string')) return undefined;
  }
  return f as Frame;
}

function optionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

/** The channel field of a signal message (omitted for the default channel). */
export function channelField(channel: string): { ch?: string } {
  return channel === DEFAULT_CHANNEL ? {} : { ch: channel };
}

/**
 * The additional data an encrypted signal is bound to: sender, its session, addressee, its session,
 * sequence number and channel — a ciphertext cannot be replayed under another header.
 */
export function signalAad(from: string, sid: string, to: string, tsid: string, seq: number, channel: string): string {
  return JSON.stringify([from, sid, to, tsid, seq, channel]);
}

/**
 * `misuse` for a value that is not JSON (`undefined`, a function, a BigInt, a cycle), checked before it
 * is queued or kept: it would fail the publish, and with it the messages batched beside it.
 */
export function notJson(what: string, data: unknown): SignalingError | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(data);
  } catch (cause) {
    return new SignalingError('misuse', `${what} needs a JSON value; this one cannot be serialised.`, { cause });
  }
  return text === undefined ? new SignalingError('misuse', `${what} needs a JSON value; ${typeof data} is not JSON.`) : undefined;
}
