import type { HubCorsOptions } from './types.js';

const EXPOSED = 'Link, Mercure-Last-Event-ID, Last-Event-ID, Content-Type, Retry-After, WWW-Authenticate';
const ALLOWED_HEADERS = 'Authorization, Content-Type, Last-Event-ID, Cache-Control';
const ALLOWED_METHODS = 'GET, POST, QUERY, OPTIONS';

/**
 * Checks a CORS policy.
 * @throws Error when credentials are combined with the `*` origin, which browsers refuse and
 * which would let any site read with the user's cookies; or when a listed origin is not one
 * (`scheme://host[:port]`, as browsers send it in `Origin`): such an entry never matches, and the
 * origin it was meant for would be silently refused.
 */
export function assertCorsOptions(cors: HubCorsOptions): void {
  if (cors.origins === '*') {
    if (cors.credentials === true) throw new Error('CORS: credentials cannot be allowed for every origin ("*"); list the allowed origins instead.');
    return;
  }
  for (const origin of cors.origins) {
    const serialized = URL.canParse(origin) ? new URL(origin).origin : 'null';
    if (serialized === origin) continue;
    const hint = serialized === 'null' ? 'a scheme://host[:port] origin, or * alone for any' : `"${serialized}"`;
    throw new Error(`CORS: "${origin}" is not an origin as browsers send it (scheme://host[:port], no path); use ${hint}.`);
  }
}

/**
 * CORS response headers for a request from `origin`.
 * @param preflight - add the preflight headers (`OPTIONS`).
 * @param requestHeaders - the preflight's `Access-Control-Request-Headers`.
 * @returns no headers when the policy is off, the request has no `Origin`, or the origin is not allowed.
 */
export function corsHeaders(cors: HubCorsOptions | false, origin: string | null, preflight: boolean, requestHeaders: string | null): Record<string, string> {
  if (cors === false || origin === null) return {};
  const headers: Record<string, string> = {};
  if (cors.origins === '*') {
    headers['access-control-allow-origin'] = '*';
  } else {
    headers['vary'] = 'Origin';
    if (!cors.origins.includes(origin)) return headers;
    headers['access-control-allow-origin'] = origin;
    if (cors.credentials === true) headers['access-control-allow-credentials'] = 'true';
  }
  if (preflight) {
    headers['access-control-allow-methods'] = ALLOWED_METHODS;
    headers['access-control-allow-headers'] = requestHeaders !== null && requestHeaders !== '' ? requestHeaders : ALLOWED_HEADERS;
    headers['access-control-max-age'] = String(cors.maxAge ?? 600);
  } else {
    headers['access-control-expose-headers'] = EXPOSED;
  }
  return headers;
}
