import { SseAuthError, SseError, SseGapError, SseNetworkError, SseParseError, SseProtocolError, SseRateLimitError } from '../errors.js';
import type { SharedError } from './types.js';

/**
 * The typed error (the class its code has) a leader's stream reported, rebuilt from its form on the
 * channel (`toShared` of the messages module, checked by `readTabMessage`).
 * @returns `undefined` for a code this build does not know (a newer build's), or `unroutable`, an
 *   update's error, never a stream's (its class needs a topic, which does not cross).
 */
export function fromShared(shared: SharedError): SseError | undefined {
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
    case 'bad-request':
    case 'not-found':
    case 'too-large':
    case 'server':
    case 'closed':
    case 'aborted':
    case 'listener':
    case 'unsupported':
    case 'misuse':
      return new SseError(code, message, options);
    default:
      return undefined;
  }
}
