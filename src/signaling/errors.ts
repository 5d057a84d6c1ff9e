import { SseError, type SseErrorOptions } from '../core/errors.js';

/** Codes of {@link SignalingError}. */
export type SignalingErrorCode = 'not-found' | 'closed' | 'misuse' | 'parse' | 'timeout' | 'room-full';

/**
 * A signaling fault: `not-found` (no such peer in the room), `closed` (not joined),
 * `misuse` (bad arguments), `parse` (a signal that could not be read or decrypted), `timeout`
 * (a signaling publish got no answer within `sendTimeout`: the send queue is stalled) or
 * `room-full` (the room holds `maxPeers` other peers: newcomers are ignored until one leaves).
 */
export class SignalingError extends SseError {
  declare readonly code: SignalingErrorCode;
  constructor(code: SignalingErrorCode, message: string, options: SseErrorOptions = {}) {
    super(code, message, options);
    this.name = 'SignalingError';
  }
}
