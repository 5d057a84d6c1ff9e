import { badRequest, tooLarge } from './errors.js';
import type { HubError } from './errors.js';
import { HUB_PATH } from './defaults.js';
import { iriForm, uriForm } from './eventIdForms.js';
import type { HubLimits, MatcherSpec } from './types.js';

/**
 * C0 and C1 control characters, DEL and Unicode format characters (`Cf`: bidirectional and
 * zero-width controls), which topics, matchers, ids and types must not contain (the spec's rule:
 * they break SSE framing or enable identifier spoofing).
 */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\p{Cf}]/u;
/** The cursor value meaning "from the oldest retained update"; no update may use it as its id. */
const EARLIEST = 'earliest';
/**
 * The prefix of the ids of subscription events, which carry the log position they follow (see
 * `HubEngine`). A cursor with it that names no retained update resumes from that position, so no
 * published id may have it.
 */
export const AFTER_PREFIX = 'urn:sse-kit:after:';
/** The prefix of every sse-kit envelope (see `src/core/envelope.ts`). */
const ENVELOPE_PREFIX = '{"sse-kit":1,';

/** A subscription request, parsed and validated. */
export interface SubscribeParams {
  /** The matchers, in request order, without duplicates. */
  readonly matchers: readonly MatcherSpec[];
  /** The cursor from the query (`last_event_id`, `lastEventID`), if any. */
  readonly lastEventId: string | undefined;
}

/** A publish request, parsed and validated (authorization aside). */
export interface PublishFields {
  /** Canonical topic first, then alternates. */
  readonly topics: readonly string[];
  /** The content. */
  readonly data: string;
  /** The publisher's id, if any. */
  readonly id: string | undefined;
  /** The SSE event type, if any. */
  readonly type: string | undefined;
  /** The SSE retry, if any. */
  readonly retry: number | undefined;
  /** Whether the update is private. */
  readonly private: boolean;
}

const MATCH_PARAMS: Readonly<Record<string, MatcherSpec['type']>> = {
  match: 'Exact',
  matchExact: 'Exact',
  matchURLPattern: 'URLPattern',
  match_urlpattern: 'URLPattern',
};

/**
 * Reads the matchers and the cursor of a subscription request.
 *
 * `match` / `matchExact` select exact topics, `matchURLPattern` / `match_urlpattern` URL patterns;
 * any other name in the reserved `match` namespace is refused. In legacy mode `topic` selects an
 * exact topic or an RFC 6570 URI template.
 * @throws HubError 400 on an unknown `match…` parameter, no matcher, too many or too long
 * matchers, or control characters.
 */
export function parseSubscribeParams(params: URLSearchParams, options: { readonly legacy: boolean; readonly limits: HubLimits }): SubscribeParams {
  const matchers: MatcherSpec[] = [];
  const seen = new Set<string>();
  let lastEventId: string | undefined;
  let count = 0;
  for (const [name, value] of params) {
    let type: MatcherSpec['type'] | undefined = MATCH_PARAMS[name];
    if (type === undefined && name.toLowerCase().startsWith('match')) {
      // Quoted as JSON: the name may hold line breaks, and goes to the log.
      throw badRequest(`Unknown topic matcher parameter ${JSON.stringify(name.slice(0, 64))}: use match, matchExact, matchURLPattern or match_urlpattern.`);
    }
    if (type === undefined && name === 'topic') {
      if (!options.legacy) throw badRequest('The legacy "topic" parameter is disabled on this hub: use "match".');
      type = 'URITemplate';
    }
    if (type === undefined) {
      if ((name === 'last_event_id' || name === 'lastEventID') && value !== '') lastEventId ??= value;
      continue;
    }
    if (++count > options.limits.matchersPerSubscription) {
      throw badRequest(`Too many topic matchers: at most ${options.limits.matchersPerSubscription} per subscription.`);
    }
    if (value === '') throw badRequest(`Empty topic matcher in "${name}".`);
    if (value.length > options.limits.matcherLength) throw badRequest(`Topic matcher longer than ${options.limits.matcherLength} characters.`);
    if (CONTROL_CHARACTERS.test(value)) throw badRequest(`Topic matcher "${name}" contains control or format characters.`);
    const key = `${type}\u0000${value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    matchers.push({ type, match: value });
  }
  if (matchers.length === 0) throw badRequest('Missing topic matcher: add at least one "match" (or "matchURLPattern") query parameter.');
  return { matchers, lastEventId };
}

/** Decodes UTF-8 without replacing anything: invalid input throws, a leading BOM is kept as data. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/**
 * Decodes request bytes (a body) as UTF-8, refusing rather than replacing invalid sequences.
 * @throws HubError 400 when the bytes are not valid UTF-8.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw badRequest('The request body is not valid UTF-8.');
  }
}

/** The refusal of a request whose body ended early (the client hung up, the stream failed). */
export function bodyCutOff(): HubError {
  return badRequest('The request body was cut off before its end.');
}

/** A percent-encoded byte above 0x7F, part of a multi-byte UTF-8 sequence (or of an invalid one). */
const HIGH_BYTE_ESCAPE = /%[89a-f][0-9a-f]/i;

function hexValue(code: number | undefined): number {
  if (code === undefined) return -1;
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** Percent-decodes one form name or value (`+` is a space); `null` when the bytes are not UTF-8. */
function decodeFormComponent(raw: string): string | null {
  const text = raw.includes('+') ? raw.replace(/\+/g, ' ') : raw;
  if (!text.includes('%')) return text;
  const bytes = utf8Encoder.encode(text);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    const high = byte === 0x25 ? hexValue(bytes[i + 1]) : -1;
    const low = high === -1 ? -1 : hexValue(bytes[i + 2]);
    if (low === -1) {
      bytes[length++] = byte;
    } else {
      bytes[length++] = high * 16 + low;
      i += 2;
    }
  }
  try {
    return strictUtf8.decode(bytes.subarray(0, length));
  } catch {
    return null;
  }
}

/**
 * Parses `application/x-www-form-urlencoded` text (a body, or a query without its `?`) as the URL
 * standard does — a `%` not followed by two hex digits stays as typed — except that names and
 * values must be valid UTF-8 once percent-decoded, as the Mercure specification requires: they
 * are refused instead of being silently replaced with U+FFFD.
 * @throws HubError 400 when a name or value is not valid UTF-8.
 */
export function parseForm(text: string): URLSearchParams {
  // Escapes of ASCII bytes cannot make invalid UTF-8: the standard parser is exact then, and faster.
  if (!HIGH_BYTE_ESCAPE.test(text)) return new URLSearchParams(text);
  const form = new URLSearchParams();
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeFormComponent(eq === -1 ? pair : pair.slice(0, eq));
    if (name === null) throw badRequest('A form field name is not valid UTF-8 once percent-decoded.');
    const value = eq === -1 ? '' : decodeFormComponent(pair.slice(eq + 1));
    if (value === null) throw badRequest(`The ${JSON.stringify(name.slice(0, 64))} field is not valid UTF-8 once percent-decoded.`);
    form.append(name, value);
  }
  return form;
}

/** Publish fields that may appear once at most. */
const SINGLE_FIELDS = ['data', 'id', 'type', 'retry'] as const;

function checkField(name: string, value: string, limits: HubLimits): void {
  if (value.length > limits.fieldLength) throw tooLarge(`The "${name}" field is longer than ${limits.fieldLength} characters.`);
}

/**
 * Reads and validates a publish form. Several `topic` fields are accepted: the first is the
 * canonical topic, the others are alternates.
 * @throws HubError 400 (`data`, `id`, `type` or `retry` given twice, a missing/`*`/control-character
 * topic, an `id` that is `earliest`, starts with `#` or `urn:sse-kit:after:` or holds control characters, a bad `type` or
 * `retry`, `type=mercure`, an sse-kit envelope claiming a topic the update does not have), 413 (too
 * many topics, a field, or the id in URI form, too long). An id mixing raw and percent-encoded
 * non-ASCII is given as its IRI form.
 */
export function parsePublishFields(form: URLSearchParams, limits: HubLimits): PublishFields {
  // Each of these holds one value: a repeated one (say data lines sent as several fields) would lose all but the first.
  for (const name of SINGLE_FIELDS) {
    if (form.getAll(name).length > 1) throw badRequest(`The "${name}" field appears more than once.`);
  }
  const topics = form.getAll('topic');
  if (topics.length === 0) throw badRequest('Missing "topic" field.');
  if (topics.length > limits.topicsPerPublish) throw tooLarge(`Too many topics: at most ${limits.topicsPerPublish} per update.`);
  for (const topic of topics) {
    if (topic === '') throw badRequest('Empty "topic" field.');
    checkField('topic', topic, limits);
    if (topic === '*') throw badRequest('The topic "*" is reserved: it matches every topic and cannot be published to.');
    if (CONTROL_CHARACTERS.test(topic)) throw badRequest('The "topic" field contains control or format characters.');
  }
  let id = nonEmpty(form.get('id'));
  if (id !== undefined) {
    checkField('id', id, limits);
    // The Last-Event-ID headers carry the URI form: it must lead back to the id (an id mixing raw and
    // percent-encoded non-ASCII is kept as its IRI form) and be no longer than any other field.
    const uri = uriForm(id);
    if (uri !== id) id = iriForm(uri);
    checkField('id (in URI form)', uri, limits);
    if (id.startsWith('#')) throw badRequest('The "id" field must not start with "#" (reserved for hub-generated ids).');
    if (id === EARLIEST) throw badRequest('The "id" field must not be "earliest" (reserved cursor value).');
    if (id.startsWith(AFTER_PREFIX)) throw badRequest(`The "id" field must not start with "${AFTER_PREFIX}" (reserved for subscription events).`);
    if (CONTROL_CHARACTERS.test(id)) throw badRequest('The "id" field contains control or format characters.');
  }
  const type = nonEmpty(form.get('type'));
  if (type !== undefined) {
    checkField('type', type, limits);
    if (CONTROL_CHARACTERS.test(type)) throw badRequest('The "type" field contains control or format characters.');
    if (type === 'mercure') throw badRequest('The event type "mercure" is reserved for subscription events.');
  }
  const retryField = nonEmpty(form.get('retry'));
  let retry: number | undefined;
  if (retryField !== undefined) {
    if (!/^[0-9]+$/.test(retryField)) throw badRequest('The "retry" field must consist of ASCII digits only.');
    if (retryField.length > 15) throw tooLarge('The "retry" field is too long.');
    retry = Number(retryField);
  }
  const data = form.get('data') ?? '';
  assertEnvelopeTopics(data, topics);
  return { topics, data, id, type, retry, private: form.has('private') };
}

/**
 * Refuses an sse-kit envelope (`{"sse-kit":1,…}`) whose claimed `topic` / `topics` are not all
 * among the update's own topics: clients route envelopes by the claimed topic, so an update
 * published to X must not be able to reach a listener of Y on a shared stream. Data that only
 * looks like an envelope is checked the same way; other data is not inspected.
 * @throws HubError 400 when a claimed topic is missing from the update's topics.
 */
export function assertEnvelopeTopics(data: string, topics: readonly string[]): void {
  if (!data.startsWith(ENVELOPE_PREFIX)) return;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return; // Not JSON: no client decodes it as an envelope.
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const envelope = value as Record<string, unknown>;
  const claimed: unknown[] = [envelope['topic'], ...(Array.isArray(envelope['topics']) ? (envelope['topics'] as unknown[]) : [envelope['topics']])];
  for (const topic of claimed) {
    if (topic === undefined) continue;
    if (typeof topic !== 'string' || !topics.includes(topic)) {
      throw badRequest(`The sse-kit envelope claims the topic ${JSON.stringify(topic)}, which is not among the update's topics.`);
    }
  }
}

function nonEmpty(value: string | null): string | undefined {
  return value === null || value === '' ? undefined : value;
}

function pathOf(topic: string, hubUrl: string): string | undefined {
  try {
    return new URL(topic, hubUrl).pathname;
  } catch {
    return undefined;
  }
}

function inNamespace(path: string, namespace: string): boolean {
  return path === namespace || path.startsWith(`${namespace}/`);
}

/**
 * Whether a topic addresses the reserved hub namespace: its path, after resolution against the
 * hub URL (scheme and authority ignored), is `/.well-known/mercure` or below it (the hub's own
 * path too, when it serves elsewhere). Percent-encoded spellings are decoded before the test.
 */
export function isReservedTopic(topic: string, hubUrl: string): boolean {
  const path = pathOf(topic, hubUrl);
  if (path === undefined) return false;
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // Keep the raw path.
  }
  const hubPath = new URL(hubUrl).pathname;
  return [path, decoded].some((p) => inNamespace(p, HUB_PATH) || inNamespace(p, hubPath));
}

/** @throws HubError 400 when a topic addresses the reserved hub namespace. */
export function assertNotReserved(topics: readonly string[], hubUrl: string): void {
  for (const topic of topics) {
    if (isReservedTopic(topic, hubUrl)) throw badRequest(`The topic "${topic}" is in the reserved hub namespace ${HUB_PATH}/.`);
  }
}
