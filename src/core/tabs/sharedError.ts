import { SseAuthError, SseError, SseGapError, SseNetworkError, SseParseError, SseProtocolError, SseRateLimitError } from '../errors.js';
import type { SharedError } from './types.js';

/** The typed error (the class its code has) a leader's stream reported, rebuilt from its form on the channel (`toShared` of the messages module). */
export function fromShared(shared: SharedError): SseError {
  const { code, hint } = shared;
  // The constructors append the hint to the message again.
  const message = hint && shared.message.endsWith(` ${hint}`) ? shared.message.slice(0, -hint.length - 1) : shared.message;
  const options = { hint, status: shared.status, retryAfter: shared.retryAfter };
  switch (code) {
    case 'gap':
      return new SseGapError(shared.requested, shared.resumedFrom, shared.extent ?? 'unknown');
    case 'unauthorized':
    case 'forbidden':
    case 'credentials':
      return new SseAuthError(code, message, options);
    case 'rate-limited':
      return new SseRateLimitError(message, shared.retryAfter, options);
    case 'network':
    case 'timeout':
    case 'cors':
      return new SseNetworkError(message, { ...options, code });
    case 'protocol':
      return new SseProtocolError(message, options);
    case 'parse':
      return new SseParseError(message, options);
    default:
      return new SseError(code, message, options);
  }
}
