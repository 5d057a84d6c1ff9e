import { SseError, errorFromResponse } from './errors.js';
import type { FetchLike } from './types.js';

/** A hub advertised by a resource through `Link: <…>; rel="mercure"`. */
export interface DiscoveredHub {
  /** Absolute hub URL. */
  readonly url: string;
  /** The `last-event-id` attribute: pass it as `since` so nothing between fetch and subscribe is lost. */
  readonly lastEventId: string | undefined;
  /** The `content-type` attribute: the type of the updates the hub will push. */
  readonly contentType: string | undefined;
}

/** The hubs and canonical topic a resource advertises. */
export interface Discovery {
  /** Hubs in header order; subscribe to the first. */
  readonly hubs: readonly DiscoveredHub[];
  /** The `rel="self"` link: the topic to subscribe to, when given. */
  readonly topic: string | undefined;
}

const LINK = /<([^>]*)>\s*((?:;\s*[^;,]+)*)/g;
const PARAM = /;\s*([^=;,\s]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,\s]*)))?/g;

/**
 * Reads Mercure discovery links from a resource's response headers.
 * @param response - a response (or its headers) of the resource.
 * @param base - URL to resolve relative links against (defaults to `response.url`).
 */
export function discover(response: Response | Headers, base?: string): Discovery {
  const headers = response instanceof Headers ? response : response.headers;
  const baseUrl = base ?? (response instanceof Headers ? undefined : response.url) ?? undefined;
  const hubs: DiscoveredHub[] = [];
  let topic: string | undefined;
  const value = headers.get('link') ?? '';
  for (const [, target = '', params = ''] of value.matchAll(LINK)) {
    const attributes = new Map<string, string>();
    for (const [, name = '', quoted, bare] of params.matchAll(PARAM)) attributes.set(name.toLowerCase(), (quoted ?? bare ?? '').replace(/\\(.)/g, '$1'));
    const rels = (attributes.get('rel') ?? '').split(/\s+/);
    const url = baseUrl ? new URL(target, baseUrl).toString() : target;
    if (rels.includes('mercure')) hubs.push({ url, lastEventId: attributes.get('last-event-id'), contentType: attributes.get('content-type') });
    if (rels.includes('self') && topic === undefined) topic = url;
  }
  return { hubs, topic };
}

/**
 * Fetches `resource` and reads its Mercure discovery links.
 * @throws {SseError} when the resource cannot be fetched or advertises no hub.
 */
export async function discoverHub(resource: string | URL, init: RequestInit & { fetch?: FetchLike | undefined } = {}): Promise<Discovery & { response: Response }> {
  const { fetch: fetchImpl = (input, i) => globalThis.fetch(input, i), ...requestInit } = init;
  const response = await fetchImpl(resource.toString(), { method: 'GET', ...requestInit });
  if (!response.ok) throw errorFromResponse(response, 'Discovery');
  const found = discover(response, response.url || resource.toString());
  if (found.hubs.length === 0) {
    throw new SseError('not-found', `${resource.toString()} advertises no Mercure hub.`, { hint: 'The resource needs a Link: <…>; rel="mercure" header (exposed to CORS).' });
  }
  return { ...found, response };
}
