import { HubError, badRequest } from './errors.js';
import type { MatchType, MatcherSpec, SubscriptionDocument } from './types.js';

const CONTEXT = 'https://mercure.rocks/';

/** Percent-encodes a whole value once, as RFC 6570 simple expansion does (only unreserved characters stay). */
export function encodeVariable(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The spec's lower-case name of a matcher type, as subscription topics spell it (`exact`, `urlpattern`, `uritemplate`). */
export function matchTypeName(type: MatchType): string {
  return type.toLowerCase();
}

/**
 * The topic (and id) of a subscription: `{hubPath}/subscriptions/{match_type}/{match}/{subscriber}`,
 * with the matcher type in the spec's lower-case spelling, e.g.
 * `/.well-known/mercure/subscriptions/exact/https%3A%2F%2Fexample.com%2Fa/urn%3Auuid%3A…`.
 */
export function subscriptionTopic(hubPath: string, spec: MatcherSpec, subscriber: string): string {
  return `${hubPath}/subscriptions/${matchTypeName(spec.type)}/${encodeVariable(spec.match)}/${encodeVariable(subscriber)}`;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`Malformed percent-encoding in "${segment}".`);
  }
}

/**
 * Builds the subscriptions API answer for `path`: the whole collection, the collection of one
 * matcher, or one subscription.
 * @param documents - every active subscription.
 * @param lastEventId - the id of the last dispatched event, or `earliest`.
 * @throws HubError 404 for an unknown subscription or path shape.
 */
export function subscriptionsResponse(path: string, hubPath: string, documents: readonly SubscriptionDocument[], lastEventId: string): string {
  const rest = path.slice(`${hubPath}/subscriptions`.length).split('/').filter((s) => s !== '');
  if (rest.length > 3 || rest.length === 1) throw new HubError(404, 'not_found', 'No such subscriptions resource.');
  if (rest.length === 0) {
    return JSON.stringify({ '@context': CONTEXT, id: path, type: 'Subscriptions', lastEventID: lastEventId, subscriptions: documents });
  }
  const matchType = decodeSegment(rest[0] ?? '').toLowerCase();
  const match = decodeSegment(rest[1] ?? '');
  const selected = documents.filter((d) => matchTypeName(d.matchType) === matchType && d.match === match);
  if (rest.length === 2) {
    return JSON.stringify({ '@context': CONTEXT, id: path, type: 'Subscriptions', lastEventID: lastEventId, subscriptions: selected });
  }
  const subscriber = decodeSegment(rest[2] ?? '');
  const document = selected.find((d) => d.subscriber === subscriber);
  if (document === undefined) throw new HubError(404, 'not_found', 'No such subscription.');
  return JSON.stringify({ '@context': CONTEXT, ...document, lastEventID: lastEventId });
}
