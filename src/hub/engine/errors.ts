/** Why the hub refused a request; the RFC 6750 codes plus a few of its own. */
export type HubErrorCode =
  | 'invalid_request'
  | 'missing_token'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'too_large'
  | 'too_many_connections'
  | 'over_budget'
  | 'not_found'
  | 'method_not_allowed'
  | 'unavailable';

/**
 * A request the hub refuses. Carries the HTTP status and the reason written to the log and to
 * the response body.
 */
export class HubError extends Error {
  /** HTTP status to answer. */
  readonly status: number;
  /** Machine-readable code. */
  readonly code: HubErrorCode;
  /** Extra response headers (e.g. `Allow`, `Retry-After`). */
  readonly headers: Readonly<Record<string, string>>;
  /** Why, for the log only (token failures do not tell the client why, per the spec). */
  readonly detail: string | undefined;

  constructor(status: number, code: HubErrorCode, message: string, headers: Readonly<Record<string, string>> = {}, detail?: string) {
    super(message);
    this.name = 'HubError';
    this.status = status;
    this.code = code;
    this.headers = headers;
    this.detail = detail;
  }
}

/** 400 `invalid_request`. */
export function badRequest(message: string): HubError {
  return new HubError(400, 'invalid_request', message);
}

/** 401 `invalid_token`: a token was presented and failed validation. */
export function invalidToken(detail: string): HubError {
  return new HubError(401, 'invalid_token', 'Invalid token.', {}, detail);
}

/** 401 without error code: a token is required and none was presented. */
export function missingToken(message: string): HubError {
  return new HubError(401, 'missing_token', message);
}

/** 403 `insufficient_scope`. */
export function forbidden(message: string): HubError {
  return new HubError(403, 'insufficient_scope', message);
}

/** 413 content too large. */
export function tooLarge(message: string): HubError {
  return new HubError(413, 'too_large', message);
}
