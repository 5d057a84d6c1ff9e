import type { JsonValue } from './types.js';

/**
 * The JSON envelope in the `data` of every update published through sse-kit. It lets the
 * router deliver an update by its topic, since a Mercure event does not carry it.
 *
 * ```json
 * {"sse-kit":1,"id":"urn:uuid:…","topic":"https://example.com/a","sender":"<client id>","payload":{…}}
 * ```
 * `topics` is present only when the update was published to several topics (canonical first).
 */
export interface Envelope {
  /** Envelope format version; always `1`. */
  readonly 'sse-kit': 1;
  /** Message id (also sent as the SSE id, so retries are idempotent). */
  readonly id: string;
  /** Canonical topic. */
  readonly topic: string;
  /** All topics, canonical first, when more than one. */
  readonly topics?: readonly string[];
  /** Client id of the publishing driver. */
  readonly sender: string;
  /** The published JSON value. */
  readonly payload: JsonValue;
}

/** How the data of every envelope starts (what {@link encodeEnvelope} writes first). */
export const ENVELOPE_PREFIX = '{"sse-kit":1,';

/** Serialises an envelope. */
export function encodeEnvelope(id: string, topics: readonly string[], sender: string, payload: JsonValue): string {
  const [topic] = topics;
  const envelope = topics.length > 1 ? { 'sse-kit': 1, id, topic, topics, sender, payload } : { 'sse-kit': 1, id, topic, sender, payload };
  return JSON.stringify(envelope);
}

/** A JSON string as {@link encodeEnvelope} writes most (no escape, no control character), its content captured. */
const PLAIN = String.raw`"([^"\\\u0000-\u001f]*)"`;
/**
 * The members before the payload, in the order {@link encodeEnvelope} writes them: id, topic, the
 * other topics (captured as written), sender. Strings with escapes, another key order or whitespace
 * do not match: they take the full parse.
 */
const HEAD = new RegExp(String.raw`^\{"sse-kit":1,"id":${PLAIN},"topic":${PLAIN}(?:,"topics":\[("[^"\\\u0000-\u001f]*"(?:,"[^"\\\u0000-\u001f]*")*)\])?,"sender":${PLAIN},"payload":`);

/**
 * Past this length data takes the full parse. The in-place read gives strings cut out of the
 * stream's text (they keep that text alive while held: the de-duplication ring holds thousands of
 * ids), and on a large event reading the members with the payload costs little more.
 */
const IN_PLACE_MAX = 1024;

/**
 * Reads an envelope from event data; `undefined` when the data is not one (a foreign update).
 * What {@link encodeEnvelope} writes (up to {@link IN_PLACE_MAX} characters) is read with one
 * `JSON.parse` of the payload alone: the members before it were matched in place, and a payload that
 * parses on its own followed by the closing `}` makes the whole data the same JSON object. Anything
 * else takes one `JSON.parse` of the whole data.
 */
export function decodeEnvelope(data: string): Envelope | undefined {
  const head = data.length <= IN_PLACE_MAX ? HEAD.exec(data) : null;
  if (head !== null && data.charCodeAt(data.length - 1) === 0x7d) {
    const payload = parsePayload(data.slice(head[0].length, -1));
    const id = head[1] ?? '';
    const topic = head[2] ?? '';
    const topics = head[3];
    const sender = head[4] ?? '';
    // The strings of `topics` hold no quote: `","` separates them.
    if (payload !== NOT_JSON) return topics === undefined ? { 'sse-kit': 1, id, topic, sender, payload } : { 'sse-kit': 1, id, topic, topics: topics.slice(1, -1).split('","'), sender, payload };
  }
  // Cheap pre-check: envelopes always start with this exact prefix (its third code unit first: on
  // the stream's sliced strings `startsWith` leaves the engine's fast path, and most data that is not
  // an envelope differs there).
  return data.charCodeAt(2) === 0x73 && data.startsWith(ENVELOPE_PREFIX) ? parseWhole(data) : undefined;
}

const NOT_JSON: unique symbol = Symbol('not JSON');

function parsePayload(text: string): JsonValue | typeof NOT_JSON {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return NOT_JSON;
  }
}

/** The envelope in `data` by a full `JSON.parse` (another writer's key order or spacing, escaped strings). */
function parseWhole(data: string): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Record<string, unknown>;
  if (typeof e.id !== 'string' || typeof e.topic !== 'string' || typeof e.sender !== 'string' || !('payload' in e)) return undefined;
  if (e.topics !== undefined && !(Array.isArray(e.topics) && e.topics.every((t) => typeof t === 'string'))) return undefined;
  return value as Envelope;
}

/** The topics an envelope is about, canonical first. */
export function envelopeTopics(envelope: Envelope): readonly string[] {
  return envelope.topics ?? [envelope.topic];
}
