/**
 * Every error code sse-kit reports. Background faults surface as values (status, `onError`),
 * misuse throws at once; both carry one of these codes.
 */
export type SseErrorCode =
  | 'bad-request'
  | 'unauthorized'
  | 'forbidden'
  | 'credentials'
  | 'not-found'
  | 'too-large'
  | 'rate-limited'
  | 'server'
  | 'network'
  | 'protocol'
  | 'timeout'
  | 'cors'
  | 'unroutable'
  | 'gap'
  | 'parse'
  | 'closed'
  | 'aborted'
  | 'listener'
  | 'unsupported'
  | 'room-full'
  | 'misuse';

/** Options accepted by every {@link SseError}. */
export interface SseErrorOptions {
  /** HTTP status of the response that caused the error, when there was one. */
  status?: number | undefined;
  /** A short sentence telling the user how to fix the cause. */
  hint?: string | undefined;
  /** The underlying error. */
  cause?: unknown;
  /** The delay the server asked for (`Retry-After`), in ms, already clamped. */
  retryAfter?: number | undefined;
}

/** Base class of every error sse-kit produces. Switch on {@link SseError.code}. */
export class SseError extends Error {
  /** Stable, machine-readable error code. */
  readonly code: SseErrorCode;
  /** HTTP status behind the error, if any. */
  readonly status: number | undefined;
  /** How to fix it, when sse-kit knows. */
  readonly hint: string | undefined;
  /** The delay the server asked for before a retry (`Retry-After` of a 429 or 503), in ms. */
  readonly retryAfter: number | undefined;

  constructor(code: SseErrorCode, message: string, options: SseErrorOptions = {}) {
    super(options.hint ? `${message} ${options.hint}` : message, { cause: options.cause });
    this.name = 'SseError';
    this.code = code;
    this.status = options.status;
    this.hint = options.hint;
    this.retryAfter = options.retryAfter;
  }
}

/**
 * The hub refused the request's credentials (401, `unauthorized`) or their rights (403,
 * `forbidden`), or the `headers` option could not produce them (`credentials`: the function threw,
 * the cause attached). Retrying stops until credentials change (`setHeaders`, `reconnect`).
 */
export class SseAuthError extends SseError {
  declare readonly code: 'unauthorized' | 'forbidden' | 'credentials';
  constructor(code: 'unauthorized' | 'forbidden' | 'credentials', message: string, options: SseErrorOptions = {}) {
    super(code, message, options);
    this.name = 'SseAuthError';
  }
}

/** The hub answered 429; {@link SseRateLimitError.retryAfter} tells how long to wait, in milliseconds. */
export class SseRateLimitError extends SseError {
  declare readonly code: 'rate-limited';
  constructor(message: string, retryAfter: number | undefined, options: SseErrorOptions = {}) {
    super('rate-limited', message, { ...options, retryAfter });
    this.name = 'SseRateLimitError';
  }
}

/**
 * The network failed or the hub could not be reached (`network`), gave no answer in time
 * (`timeout`), or — in a browser, cross-origin — the request failed the way a CORS refusal does
 * (`cors`: retried a few times, then stopped until `reconnect()` or the page comes back online).
 */
export class SseNetworkError extends SseError {
  declare readonly code: 'network' | 'timeout' | 'cors';
  constructor(message: string, options: SseErrorOptions & { code?: 'network' | 'timeout' | 'cors' } = {}) {
    super(options.code ?? 'network', message, options);
    this.name = 'SseNetworkError';
  }
}

/** The hub spoke something that is not a valid event stream (wrong content type, oversized event, …). */
export class SseProtocolError extends SseError {
  declare readonly code: 'protocol';
  constructor(message: string, options: SseErrorOptions = {}) {
    super('protocol', message, options);
    this.name = 'SseProtocolError';
  }
}

/** An update arrived whose topic cannot be known on a shared connection; it was not delivered. */
export class SseUnroutableError extends SseError {
  declare readonly code: 'unroutable';
  /** The matcher (or event id) the update could not be routed for. */
  readonly topic: string;
  constructor(topic: string, message: string, options: SseErrorOptions = {}) {
    super('unroutable', message, options);
    this.name = 'SseUnroutableError';
    this.topic = topic;
  }
}

/**
 * Updates may have been missed. `extent: 'known'`: the hub could not resume from
 * {@link SseGapError.requested} and resumed from {@link SseGapError.resumedFrom} instead.
 * `extent: 'unknown'`: the stream was cut before the hub told any position, the server keeps no
 * history, or a replay could not start, so what was missed cannot be told.
 */
export class SseGapError extends SseError {
  declare readonly code: 'gap';
  /** The cursor sse-kit asked to resume from; `undefined` when it had no position to ask for. */
  readonly requested: string | undefined;
  /** The cursor the hub resumed from instead (`Last-Event-ID` response header), when it said. */
  readonly resumedFrom: string | undefined;
  /** `known`: the hub told where it resumed; `unknown`: nobody can tell what was missed. */
  readonly extent: 'known' | 'unknown';
  /**
   * @param requested - the cursor asked for, if any.
   * @param resumedFrom - where the hub resumed, if it said.
   * @param extent - whether the loss is bounded by `requested` and `resumedFrom`.
   */
  constructor(requested: string | undefined, resumedFrom: string | undefined, extent: 'known' | 'unknown') {
    super(
      'gap',
      extent === 'known'
        ? `The hub could not resume from event "${requested ?? ''}" and resumed from "${resumedFrom ?? 'an unknown position'}"; updates in between may be lost.`
        : requested === undefined
          ? 'The stream was cut before the server told any position; updates published meanwhile may be lost.'
          : `Updates after event "${requested}" may be lost: the server did not replay them (it keeps no history, or the replay could not start).`,
      { hint: extent === 'known' ? 'Raise the hub history size, or refetch the state this subscription mirrors.' : 'Refetch the state this subscription mirrors.' },
    );
    this.name = 'SseGapError';
    this.requested = requested;
    this.resumedFrom = resumedFrom;
    this.extent = extent;
  }
}

/** A payload could not be parsed the way the subscriber asked for. */
export class SseParseError extends SseError {
  declare readonly code: 'parse';
  constructor(message: string, options: SseErrorOptions = {}) {
    super('parse', message, options);
    this.name = 'SseParseError';
  }
}

/**
 * Maps a failed HTTP response to a typed error.
 * @param response - the response whose status is not a success.
 * @param action - what was attempted, for the message (e.g. `"Publishing"`).
 */
export function errorFromResponse(response: Response, action: string, reason = ''): SseError {
  const status = response.status;
  const base = `${action} failed: the hub answered ${status}${response.statusText ? ` ${response.statusText}` : ''}.${reason ? ` ${reason}` : ''}`;
  switch (status) {
    case 400:
      return new SseError('bad-request', base, { status, hint: 'The hub rejected the request as malformed; check topics, ids and types.' });
    case 401:
      return new SseAuthError('unauthorized', base, { status, hint: 'Send a valid token (headers or cookie).' });
    case 403:
      return new SseAuthError('forbidden', base, { status, hint: "The token's claims do not allow this topic." });
    case 404:
      return new SseError('not-found', base, { status, hint: 'Check the hub url.' });
    case 413:
      return new SseError('too-large', base, { status, hint: 'Send a smaller body or raise the hub limit.' });
    case 414:
    case 431:
      // The URL or headers are too long for the server: the request as it is will never pass.
      return new SseError('bad-request', base, { status, hint: 'Too long for the server: use fewer matchers (a URL pattern), QUERY, or raise its limit.' });
    case 429:
      return new SseRateLimitError(base, parseRetryAfter(response.headers.get('retry-after')), { status });
    case 503:
      return new SseError('server', base, { status, retryAfter: parseRetryAfter(response.headers.get('retry-after')) });
    default:
      return new SseError(status >= 500 ? 'server' : 'protocol', base, { status });
  }
}

/**
 * The hub refused (400, `cause`) a request asking for `matchers` on their own (beside the stream
 * carrying the other subscriptions, or with none accepted yet): the `bad-request` error of the
 * subscriptions that asked for them.
 */
export function matchersRefused(matchers: readonly string[], cause: SseError | undefined): SseError {
  return new SseError('bad-request', `The hub refused the matchers ${JSON.stringify(matchers)}; they stay off the stream.`, {
    status: 400,
    cause,
    hint: 'reconnect() or setHeaders() asks for them again.',
  });
}

/** The longest `Retry-After` honoured (10 minutes): longer hints, or dates far ahead, are clamped to it. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * Parses a `Retry-After` header (seconds or HTTP date) into milliseconds, clamped to
 * [0, {@link MAX_RETRY_AFTER_MS}] (a huge value would overflow `setTimeout` and fire at once).
 * @returns the delay, or `undefined` when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  const date = Number.isFinite(seconds) ? undefined : Date.parse(value);
  if (date !== undefined && Number.isNaN(date)) return undefined;
  const ms = date === undefined ? seconds * 1000 : date - now;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/** Whether an error stops the retry loop until credentials change. */
export function isAuthError(error: unknown): error is SseAuthError {
  return error instanceof SseAuthError;
}
