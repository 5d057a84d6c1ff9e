import { SseAuthError } from './errors.js';
import type { HeadersOption } from './types.js';

/**
 * The request headers: the `headers` option (a function is called again each time: token refresh)
 * plus `extra` (subscriber or publisher headers). A function that throws, or values no request can
 * carry, are a `credentials` error (an {@link SseAuthError}: retrying stops until credentials change).
 */
export async function resolveHeaders(option: HeadersOption | undefined, extra: HeadersInit | undefined): Promise<Headers> {
  try {
    const base = typeof option === 'function' ? await option() : option;
    const headers = new Headers(base);
    if (extra) new Headers(extra).forEach((value, name) => headers.set(name, value));
    return headers;
  } catch (cause) {
    throw new SseAuthError('credentials', 'The headers option threw, or gave values no request can carry.', {
      cause,
      hint: 'Fix the headers function (see the cause); setHeaders() or reconnect() tries again.',
    });
  }
}
