import { createParser } from 'eventsource-parser';
import type { EventSourceMessage } from 'eventsource-parser';
import { SignJWT } from 'jose';
import type { JWTPayload } from 'jose';

/** A fetch-compatible function. */
export type FetchFn = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** An open SSE stream read in the background. */
export interface TestStream {
  readonly response: Response;
  /** Every event received so far. */
  readonly events: EventSourceMessage[];
  /** Every comment received so far. */
  readonly comments: string[];
  /** Resolves with the first event (after those already consumed by `next`) … */
  next(timeout?: number): Promise<EventSourceMessage>;
  /** Resolves when an event satisfies `predicate`; rejects after `timeout` ms. */
  waitFor(predicate: (event: EventSourceMessage) => boolean, timeout?: number): Promise<EventSourceMessage>;
  /** Resolves when the body ends (`'end'`) or errors (`'error'`). */
  readonly ended: Promise<'end' | 'error'>;
  /** Aborts the request. */
  close(): void;
}

/**
 * Opens a subscription and reads it in the background.
 * @throws Error when the response is not 200.
 */
export async function openStream(fetchFn: FetchFn, url: string, init: RequestInit = {}): Promise<TestStream> {
  const controller = new AbortController();
  const response = await fetchFn(url, { ...init, signal: controller.signal });
  if (response.status !== 200) {
    throw new Error(`subscription answered ${response.status}: ${await response.text()}`);
  }
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const parser = createParser({
    onEvent: (event) => {
      events.push(event);
      for (const w of [...waiters]) w();
    },
    onComment: (comment) => {
      comments.push(comment);
      for (const w of [...waiters]) w();
    },
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const ended = (async (): Promise<'end' | 'error'> => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return 'end';
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      return 'error';
    } finally {
      for (const w of [...waiters]) w();
    }
  })();
  let cursor = 0;
  const waitFor = (predicate: (event: EventSourceMessage) => boolean, timeout = 3000): Promise<EventSourceMessage> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = events.find(predicate);
        if (found) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching event within ${timeout} ms; got ${JSON.stringify(events.map((e) => e.data))}`));
      }, timeout);
      if (!check()) waiters.add(check);
    });
  return {
    response,
    events,
    comments,
    ended,
    waitFor,
    next(timeout = 3000) {
      const index = cursor;
      return waitFor((e) => events.indexOf(e) === index, timeout).then((event) => {
        cursor = index + 1;
        return event;
      });
    },
    close: () => controller.abort(),
  };
}

/** Builds a subscribe URL from matcher parameters. */
export function subscribeUrl(hubUrl: string, params: readonly (readonly [string, string])[]): string {
  const url = new URL(hubUrl);
  for (const [name, value] of params) url.searchParams.append(name, value);
  return url.href;
}

/** Publishes a form and returns the response. */
export function publish(fetchFn: FetchFn, hubUrl: string, fields: readonly (readonly [string, string])[], token?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  return fetchFn(hubUrl, { method: 'POST', headers, body: new URLSearchParams(fields.map(([k, v]) => [k, v])).toString() });
}

/** The HS256 key the tests sign with. */
export const TEST_KEY = 'test-only-hub-key-0123456789abcdef';

/**
 * Signs an HS256 token in the spec's shape (RFC 9068 access token): header `typ: at+jwt`, an `exp`
 * one hour ahead. `typ` and `exp` can be overridden (`exp: null` leaves it out).
 */
export async function sign(claims: JWTPayload, options: { key?: string; typ?: string; exp?: number | null } = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: options.typ ?? 'at+jwt' });
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 3600);
  return jwt.sign(new TextEncoder().encode(options.key ?? TEST_KEY));
}

/** The authorization detail type of the Mercure spec. */
export const DETAIL_TYPE = 'https://mercure.rocks/authorization-detail';

/** A topic matcher of {@link v1Claims}: a topic, or `{ match, matchType? }` (`URLPattern` becomes `match_type: 'urlpattern'`). */
export type GrantTopic = string | { readonly match: string; readonly matchType?: string };

/**
 * Claims granting `actions` on `topics`, in the spec's shape: `authorization_details` entries of
 * type `https://mercure.rocks/authorization-detail` with `match_type` (`exact` or `urlpattern`).
 */
export function v1Claims(details: readonly { actions: readonly ('publish' | 'subscribe')[]; topics: readonly GrantTopic[]; payload?: object }[]): JWTPayload {
  return {
    authorization_details: details.map((d) => ({
      type: DETAIL_TYPE,
      actions: d.actions,
      topics: d.topics.map((t) => (typeof t === 'string' ? { match: t } : t.matchType === undefined ? { match: t.match } : { match: t.match, match_type: t.matchType.toLowerCase() })),
      ...(d.payload === undefined ? {} : { payload: d.payload }),
    })),
  };
}

/** Claims in the legacy 0.x shape: the `mercure` claim with URI-template selectors. */
export function legacyClaims(claim: { publish?: readonly string[]; subscribe?: readonly string[]; payload?: object }): JWTPayload {
  return { mercure: claim };
}

/** The seed snippet's token: legacy claim, publish and subscribe `*`, signed with the development key, no `exp`. */
export const SEED_TOKEN =
  'eyJhbGciOiJIUzI1NiJ9.eyJtZXJjdXJlIjp7InB1Ymxpc2giOlsiKiJdLCJzdWJzY3JpYmUiOlsiKiJdfX0.bVXdlWXwfw9ySx7-iV5OpUSHo34RkjUdVzDLBcc6l_g';
