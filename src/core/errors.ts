/**
 * Every error code sse-kit reports. Background faults surface as values (status, `onError`),
 * misuse throws at once; both carry one of these codes.
 */
export type SseErrorCode =
  | 'bad-request'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'too-large'
  | 'rate-limited'
  | 'server'
  | 'network'
  | 'protocol'
  | 'timeout'
  | 'unroutable'
  | 'gap'
  | 'parse'
  | 'closed'
  | 'aborted'
  | 'unsupported'
  | 'misuse';

/** Options accepted by every {@link SseError}. */
export interface SseErrorOptions {
  /** HTTP status of the response that caused the error, when there was one. */
  status?: number;
  /** A short sentence telling the user how to fix the cause. */
  hint?: string;
  /** The underlying error. */
  cause?: unknown;
}

/** Base class of every error sse-kit produces. Switch on {@link SseError.code}. */
export class SseError extends Error {
  /** Stable, machine-readable error code. */
  readonly code: SseErrorCode;
  /** HTTP status behind the error, if any. */
  readonly status: number | undefined;
  /** How to fix it, when sse-kit knows. */
  readonly hint: string | undefined;

  constructor(code: SseErrorCode, message: string, options: SseErrorOptions = {}) {
    super(options.hint ? `${message} ${options.hint}` : message, { cause: options.cause });
    this.name = 'SseError';
    this.code = code;
    this.status = options.status;
    this.hint = options.hint;
  }
}

/** The hub refused the request's credentials (401) or their rights (403). Retrying stops until credentials change. */
export class SseAuthError extends SseError {
  declare readonly code: 'unauthorized' | 'forbidden';
  constructor(code: 'unauthorized' | 'forbidden', message: string, options: SseErrorOptions = {}) {
    super(code, message, options);
    this.name = 'SseAuthError';
  }
}

/** The hub answered 429; {@link SseRateLimitError.retryAfter} tells how long to wait, in milliseconds. */
export class SseRateLimitError extends SseError {
  declare readonly code: 'rate-limited';
  /** Delay the hub asked for (from `Retry-After`), in milliseconds, when it sent one. */
  readonly retryAfter: number | undefined;
  constructor(message: string, retryAfter: number | undefined, options: SseErrorOptions = {}) {
    super('rate-limited', message, options);
    this.name = 'SseRateLimitError';
    this.retryAfter = retryAfter;
  }
}

/** The network failed or the hub could not be reached. Retried with backoff. */
export class SseNetworkError extends SseError {
  declare readonly code: 'network' | 'timeout';
  constructor(message: string, options: SseErrorOptions & { code?: 'network' | 'timeout' } = {}) {
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
 * Updates may have been missed: the hub could not resume from the requested event id
 * (`extent: 'known'`, between {@link SseGapError.requested} and {@link SseGapError.resumedFrom}), or
 * the server keeps no history and the stream was down for a while (`extent: 'unknown'`).
 */
export class SseGapError extends SseError {
  declare readonly code: 'gap';
  /** The cursor sse-kit asked to resume from (empty when there was none). */
  readonly requested: string;
  /** The cursor the hub resumed from instead (`Mercure-Last-Event-ID`); empty when the extent is unknown. */
  readonly resumedFrom: string;
  /** `known`: the hub told where it resumed; `unknown`: a server without history cannot tell what was missed. */
  readonly extent: 'known' | 'unknown';
  /**
   * @param requested - the cursor asked for.
   * @param resumedFrom - where the hub resumed, or `undefined` when a server without history cannot tell.
   */
  constructor(requested: string, resumedFrom: string | undefined) {
    super(
      'gap',
      resumedFrom === undefined
        ? 'The stream was down and the server keeps no history: updates published meanwhile may be lost.'
        : `The hub could not resume from event "${requested}" and resumed from "${resumedFrom}"; updates in between may be lost.`,
      { hint: resumedFrom === undefined ? 'Refetch the state this subscription mirrors.' : 'Raise the hub history size, or refetch the state this subscription mirrors.' },
    );
    this.name = 'SseGapError';
    this.requested = requested;
    this.resumedFrom = resumedFrom ?? '';
    this.extent = resumedFrom === undefined ? 'unknown' : 'known';
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
export function errorFromResponse(response: Response, action: string): SseError {
  const status = response.status;
  const base = `${action} failed: the hub answered ${status}${response.statusText ? ` ${response.statusText}` : ''}.`;
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
    case 429:
      return new SseRateLimitError(base, parseRetryAfter(response.headers.get('retry-after')), { status });
    default:
      return new SseError(status >= 500 ? 'server' : 'protocol', base, { status });
  }
}

/**
 * Parses a `Retry-After` header (seconds or HTTP date) into milliseconds.
 * @returns the delay, or `undefined` when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whether an error stops the retry loop until credentials change. */
export function isAuthError(error: unknown): error is SseAuthError {
  return error instanceof SseError && (error.code === 'unauthorized' || error.code === 'forbidden');
}
