import type { CompiledMatcher } from './matcher.js';
import { patternToUriTemplate } from './matcher.js';
import type { Protocol } from './types.js';

/** What a protocol adapter produces for one subscribe attempt. */
export interface SubscribeRequest {
  /** Full request URL. */
  readonly url: string;
  /** `GET`, or `QUERY` (v1) when the URL would be too long. */
  readonly method: 'GET' | 'QUERY';
  /** Headers the protocol needs (`Last-Event-ID`, `Accept`, content type of a QUERY body). */
  readonly headers: Record<string, string>;
  /** Form body of a `QUERY` request. */
  readonly body: string | undefined;
}

/** Inputs of {@link buildSubscribeRequest}. */
export interface SubscribeRequestInput {
  readonly protocol: Protocol;
  readonly hubUrl: string;
  readonly matchers: readonly CompiledMatcher[];
  /** Resume cursor (an event id or `earliest`). */
  readonly cursor: string | undefined;
  /** Send the cursor as a query parameter (first request) rather than the `Last-Event-ID` header. */
  readonly cursorInQuery: boolean;
  /** Past this URL length v1 switches to `QUERY`. */
  readonly maxUrlLength: number;
}

/**
 * Builds the subscribe request for Mercure 1.0 (`match`, `match_urlpattern`, `last_event_id`,
 * `Last-Event-ID`) or the legacy wire format (`topic=` with URI templates, `lastEventID`).
 */
export function buildSubscribeRequest(input: SubscribeRequestInput): SubscribeRequest {
  const params = new URLSearchParams();
  for (const m of input.matchers) {
    if (input.protocol === 'v1') params.append(m.kind === 'pattern' ? 'match_urlpattern' : 'match', m.source);
    else params.append('topic', m.kind === 'pattern' ? patternToUriTemplate(m.source) : m.source);
  }
  const headers: Record<string, string> = { Accept: 'text/event-stream', 'Cache-Control': 'no-store' };
  if (input.cursor !== undefined) {
    if (input.cursorInQuery) params.append(input.protocol === 'v1' ? 'last_event_id' : 'lastEventID', input.cursor);
    else headers['Last-Event-ID'] = input.cursor;
  }
  const url = new URL(input.hubUrl);
  for (const [key, value] of params) url.searchParams.append(key, value);
  const full = url.toString();
  if (input.protocol === 'v1' && full.length > input.maxUrlLength) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    return { url: input.hubUrl, method: 'QUERY', headers, body: params.toString() };
  }
  return { url: full, method: 'GET', headers, body: undefined };
}

/** Fields of one publish request. */
export interface PublishFields {
  readonly topics: readonly string[];
  readonly data: string;
  readonly id: string;
  readonly type: string | undefined;
  readonly private: boolean;
  readonly retry: number | undefined;
}

/** Encodes a publish request body (`application/x-www-form-urlencoded`, same in v1 and legacy). */
export function buildPublishBody(fields: PublishFields): URLSearchParams {
  const body = new URLSearchParams();
  for (const topic of fields.topics) body.append('topic', topic);
  body.append('data', fields.data);
  body.append('id', fields.id);
  if (fields.type !== undefined) body.append('type', fields.type);
  if (fields.private) body.append('private', 'on');
  if (fields.retry !== undefined) body.append('retry', String(fields.retry));
  return body;
}
