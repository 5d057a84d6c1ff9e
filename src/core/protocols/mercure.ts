import { ENVELOPE_PREFIX } from '../envelope.js';
import { patternToUriTemplate } from '../matcher.js';
import type { Protocol, ProtocolOption, RawEvent } from '../types.js';
import type { AdapterRequest, ForeignEvent, ProtocolAdapter, ProtocolCapabilities, ProtocolFallback, PublishInput, SubscribeInput } from './types.js';

/** Options of {@link mercure}. */
export interface MercureOptions {
  /** Wire format: Mercure 1.0, the legacy 0.x format, or `auto` (v1 first, legacy when the hub refuses it). */
  readonly protocol: ProtocolOption;
  /** Past this URL length v1 subscribes with the `QUERY` method and a form body. */
  readonly maxUrlLength: number;
}

const CAPABILITIES: ProtocolCapabilities = { ids: true, history: true, heartbeats: true, publish: true, subscriptionEvents: true };
const FORM = 'application/x-www-form-urlencoded';
/** A refusal that names the v1 matcher parameters comes from a hub that reads them. */
const MATCHER_REFUSAL = /match/i;

/**
 * The Mercure adapter: Mercure 1.0 (`match`, `match_urlpattern`, `last_event_id`, `QUERY` for long
 * matcher lists) and the legacy wire format (`topic=` with URI templates, `lastEventID`), told apart
 * by `auto`. Fallbacks, remembered for the driver's lifetime: a `QUERY` refused with 404/405/501 becomes
 * a `GET`; in `auto`, v1 parameters refused with 400 (before the hub ever accepted v1) become legacy.
 */
export function mercure(options: MercureOptions): ProtocolAdapter {
  return new MercureAdapter(options);
}

class MercureAdapter implements ProtocolAdapter {
  readonly name = 'mercure';
  readonly settings: MercureOptions;
  readonly capabilities = CAPABILITIES;
  /** The wire format in use; `undefined` while `auto` has not decided. */
  #variant: Protocol | undefined;
  /** Whether the hub accepts `QUERY` (`undefined` until it answered one). */
  #query: boolean | undefined;
  /** The wire format each request was built for. */
  readonly #variantOf = new WeakMap<AdapterRequest, Protocol>();

  constructor(options: MercureOptions) {
    this.settings = options;
    this.#variant = options.protocol === 'auto' ? undefined : options.protocol;
  }

  get variant(): Protocol | undefined {
    return this.#variant;
  }

  fork(): ProtocolAdapter {
    // What `auto` and the QUERY fallback learned belongs to one driver's hub.
    return new MercureAdapter(this.settings);
  }

  subscribeRequest(input: SubscribeInput): AdapterRequest {
    const variant = this.#variant ?? 'v1';
    const request = this.#build(input, variant === 'v1');
    this.#variantOf.set(request, variant);
    return request;
  }

  #build(input: SubscribeInput, v1: boolean): AdapterRequest {
    const params = new URLSearchParams();
    for (const m of input.matchers) {
      if (v1) params.append(m.kind === 'pattern' ? 'match_urlpattern' : 'match', m.source);
      else params.append('topic', m.kind === 'pattern' ? patternToUriTemplate(m.source) : m.source);
    }
    // Only CORS-safelisted headers, so a fresh GET needs no preflight (`no-store` is the fetch
    // `cache` option, not a header); `Last-Event-ID` of a resume is the exception hubs allow.
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (input.cursor !== undefined) {
      // An IRI id (non-Latin-1) cannot travel in a header: it goes in the query, which any hub reads.
      if (input.cursorInQuery || input.urlOnly || !isLatin1(input.cursor)) params.append(v1 ? 'last_event_id' : 'lastEventID', input.cursor);
      else headers['Last-Event-ID'] = input.cursor;
    }
    const url = new URL(input.hubUrl);
    for (const [key, value] of params) url.searchParams.append(key, value);
    const full = url.toString();
    if (v1 && !input.urlOnly && this.#query !== false && full.length > this.settings.maxUrlLength) {
      headers['Content-Type'] = FORM;
      return { url: input.hubUrl, method: 'QUERY', headers, body: params.toString() };
    }
    return { url: full, method: 'GET', headers, body: undefined };
  }

  fallback(request: AdapterRequest, status: number, reason: string): ProtocolFallback | undefined {
    if (request.method === 'QUERY' && (status === 404 || status === 405 || status === 501) && this.#query !== true) {
      // Hubs without QUERY answer 405 or 501 (the stable reference hub), or 404 (a router that knows
      // no such method, as Express): the long URL it is, from now on.
      this.#query = false;
      return { from: 'v1 QUERY', to: 'v1 GET' };
    }
    if (status === 400 && this.settings.protocol === 'auto' && this.#variant !== 'v1' && this.#variantOf.get(request) === 'v1' && !MATCHER_REFUSAL.test(reason)) {
      // `auto`: a hub that rejects the v1 parameters may speak the legacy format. One that talks
      // about matchers understood them and refused the set (too many, too long): not a legacy hub.
      this.#variant = 'legacy';
      return { from: `v1 ${request.method}`, to: 'legacy GET' };
    }
    return undefined;
  }

  accepted(request: AdapterRequest): void {
    this.#variant ??= this.#variantOf.get(request);
    if (request.method === 'QUERY') this.#query = true;
  }

  openCursor(headers: Headers): string | undefined {
    return headers.get('mercure-last-event-id') ?? headers.get('last-event-id') ?? undefined;
  }

  readEvent(event: RawEvent, _seen?: Map<string, string>, enveloped?: boolean): ForeignEvent {
    // Hubs mark subscription events with `event: mercure`; legacy hubs send them as plain messages,
    // recognisable only by their JSON (`"type": "Subscription"`). An sse-kit envelope never is one:
    // its data is not scanned (this runs for every event), nor is data that starts like one without
    // being one (a broken envelope is a foreign update, whatever its members say).
    if (event.type === 'mercure' || (enveloped !== true && !event.data.startsWith(ENVELOPE_PREFIX) && event.data.includes('"Subscription"'))) {
      const value = parseObject(event.data);
      if (event.type === 'mercure' || value?.type === 'Subscription') return { kind: 'subscription', topic: subscriptionTopic(value), id: event.id };
    }
    return { kind: 'update', topic: undefined, id: event.id };
  }

  publishRequest(hubUrl: string, update: PublishInput): AdapterRequest {
    return { url: hubUrl, method: 'POST', headers: { 'Content-Type': FORM }, body: buildPublishBody(update).toString() };
  }

  publishedId(body: string, update: PublishInput): string {
    const text = body.trim();
    return text === '' ? update.id : text;
  }
}

/** Encodes a Mercure publish body (`application/x-www-form-urlencoded`, same in v1 and legacy). */
export function buildPublishBody(update: PublishInput): URLSearchParams {
  const body = new URLSearchParams();
  for (const topic of update.topics) body.append('topic', topic);
  body.append('data', update.data);
  body.append('id', update.id);
  if (update.type !== undefined) body.append('type', update.type);
  if (update.private) body.append('private', 'on');
  if (update.retry !== undefined) body.append('retry', String(update.retry));
  return body;
}

function isLatin1(value: string): boolean {
  return /^[\0-\xff]*$/.test(value);
}

function parseObject(data: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Subscription events route by their own JSON: their `id` is their topic. */
function subscriptionTopic(value: Record<string, unknown> | undefined): string | undefined {
  const id = value?.id;
  const topic = value?.topic;
  return typeof id === 'string' ? id : typeof topic === 'string' ? topic : undefined;
}
