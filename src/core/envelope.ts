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

/** Reads an envelope from event data; `undefined` when the data is not one (a foreign update). */
export function decodeEnvelope(data: string): Envelope | undefined {
  // Cheap pre-check: envelopes always start with this exact prefix.
  if (!data.startsWith(ENVELOPE_PREFIX)) return undefined;
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
