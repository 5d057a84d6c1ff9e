import { badRequest, forbidden, tooLarge } from './errors.js';
import { HUB_PATH } from './defaults.js';
import type { HubLimits, MatcherSpec } from './types.js';

/** C0 and C1 control characters and DEL, which topics and matchers must not contain. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
/** Characters that would break SSE framing in an `id` or `type`. */
const FRAMING_CHARACTERS = /[\r\n\u0000]/;

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
      throw badRequest(`Unknown topic matcher parameter "${name}": use match, matchExact, matchURLPattern or match_urlpattern.`);
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
    if (CONTROL_CHARACTERS.test(value)) throw badRequest(`Topic matcher "${name}" contains control characters.`);
    const key = `${type}\u0000${value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    matchers.push({ type, match: value });
  }
  if (matchers.length === 0) throw badRequest('Missing topic matcher: add at least one "match" (or "matchURLPattern") query parameter.');
  return { matchers, lastEventId };
}

function checkField(name: string, value: string, limits: HubLimits): void {
  if (value.length > limits.fieldLength) throw tooLarge(`The "${name}" field is longer than ${limits.fieldLength} characters.`);
}

/**
 * Reads and validates a publish form. Several `topic` fields are accepted: the first is the
 * canonical topic, the others are alternates.
 * @throws HubError 400 (missing/`*`/control-character topic, bad `id`, `type` or `retry`,
 * `type=mercure`, too many topics), 413 (a field too long).
 */
export function parsePublishFields(form: URLSearchParams, limits: HubLimits): PublishFields {
  const topics = form.getAll('topic');
  if (topics.length === 0) throw badRequest('Missing "topic" field.');
  if (topics.length > limits.topicsPerPublish) throw badRequest(`Too many topics: at most ${limits.topicsPerPublish} per update.`);
  for (const topic of topics) {
    if (topic === '') throw badRequest('Empty "topic" field.');
    checkField('topic', topic, limits);
    if (topic === '*') throw badRequest('The topic "*" is reserved: it matches every topic and cannot be published to.');
    if (CONTROL_CHARACTERS.test(topic)) throw badRequest('The "topic" field contains control characters.');
  }
  const id = nonEmpty(form.get('id'));
  if (id !== undefined) {
    checkField('id', id, limits);
    if (id.startsWith('#')) throw badRequest('The "id" field must not start with "#".');
    if (FRAMING_CHARACTERS.test(id)) throw badRequest('The "id" field must not contain CR, LF or NUL.');
  }
  const type = nonEmpty(form.get('type'));
  if (type !== undefined) {
    checkField('type', type, limits);
    if (FRAMING_CHARACTERS.test(type)) throw badRequest('The "type" field must not contain CR, LF or NUL.');
    if (type === 'mercure') throw badRequest('The event type "mercure" is reserved for subscription events.');
  }
  const retryField = nonEmpty(form.get('retry'));
  let retry: number | undefined;
  if (retryField !== undefined) {
    if (!/^[0-9]+$/.test(retryField)) throw badRequest('The "retry" field must consist of ASCII digits only.');
    if (retryField.length > 15) throw tooLarge('The "retry" field is too long.');
    retry = Number(retryField);
  }
  return { topics, data: form.get('data') ?? '', id, type, retry, private: form.has('private') };
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

/** @throws HubError 403 when a topic addresses the reserved hub namespace. */
export function assertNotReserved(topics: readonly string[], hubUrl: string): void {
  for (const topic of topics) {
    if (isReservedTopic(topic, hubUrl)) throw forbidden(`The topic "${topic}" is in the reserved hub namespace ${HUB_PATH}/.`);
  }
}
