import { SseError, type SseErrorOptions } from '../core/errors.js';

/** Codes of {@link SignalingError}. */
export type SignalingErrorCode = 'not-found' | 'closed' | 'misuse' | 'parse' | 'timeout';

/**
 * A signaling fault: `not-found` (no such peer in the room), `closed` (not joined),
 * `misuse` (bad arguments), `parse` (a signal that could not be read or decrypted) or `timeout`
 * (a signaling publish got no answer within `sendTimeout`: the send queue is stalled).
 */
export class SignalingError extends SseError {
  declare readonly code: SignalingErrorCode;
  constructor(code: SignalingErrorCode, message: string, options: SseErrorOptions = {}) {
    super(code, message, options);
    this.name = 'SignalingError';
  }
}
