import type { SseError, SseGapError } from '../errors.js';
import type { RawEvent, TopicMatcher } from '../types.js';
import type { SharedError, SharedState, TabMessage } from './types.js';

const STATUSES = new Set(['idle', 'connecting', 'open', 'reconnecting', 'closed', 'error']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isMatcher(value: unknown): value is TopicMatcher {
  return typeof value === 'string' || (isRecord(value) && typeof value['pattern'] === 'string');
}

function isRawEvent(value: unknown): value is RawEvent {
  return isRecord(value) && typeof value['id'] === 'string' && typeof value['type'] === 'string' && typeof value['data'] === 'string';
}

/** Whether `value` is absent or of type `type`. */
function optional(value: unknown, type: 'string' | 'number'): boolean {
  return value === undefined || typeof value === type;
}

function isSharedError(value: unknown): value is SharedError {
  // The code is checked where the error is rebuilt (`fromShared`): a code of a newer build is left out there.
  if (!isRecord(value) || typeof value['code'] !== 'string' || typeof value['message'] !== 'string') return false;
  const extent = value['extent'];
  return (
    optional(value['hint'], 'string') &&
    optional(value['status'], 'number') &&
    optional(value['retryAfter'], 'number') &&
    optional(value['requested'], 'string') &&
    optional(value['resumedFrom'], 'string') &&
    (value['code'] === 'gap' ? extent === 'known' || extent === 'unknown' : extent === undefined)
  );
}

function isSharedState(value: unknown): value is SharedState {
  return (
    isRecord(value) &&
    typeof value['status'] === 'string' &&
    STATUSES.has(value['status']) &&
    typeof value['retries'] === 'number' &&
    Array.isArray(value['keys']) &&
    value['keys'].every((k) => typeof k === 'string') &&
    (value['refused'] === undefined || (Array.isArray(value['refused']) && value['refused'].every((k) => typeof k === 'string'))) &&
    typeof value['stream'] === 'string' &&
    typeof value['hidden'] === 'boolean'
  );
}

/** What a follower needs of an error of the leader's stream, to rebuild it (`fromShared`). */
export function toShared(error: SseError): SharedError {
  const { code, message, hint, status, retryAfter, requested, resumedFrom, extent } = error as SseError & Partial<SseGapError>;
  return { code, message, hint, status, retryAfter, requested, resumedFrom, extent };
}

/** Reads a message of the group channel; anything else (another version, another library) is `undefined`. */
export function readTabMessage(data: unknown): TabMessage | undefined {
  if (!isRecord(data) || typeof data['from'] !== 'string') return undefined;
  switch (data['t']) {
    case 'hello':
    case 'bye':
      return data as TabMessage;
    case 'matchers':
      return Array.isArray(data['matchers']) && data['matchers'].every(isMatcher) ? (data as TabMessage) : undefined;
    case 'event':
      return isRawEvent(data['event']) ? (data as TabMessage) : undefined;
    case 'state': {
      const state = data['state'];
      if (!isSharedState(state)) return undefined;
      // A malformed error is left out: the state still holds.
      return state.error === undefined || isSharedError(state.error) ? (data as TabMessage) : { t: 'state', from: data['from'], state: { ...state, error: undefined } };
    }
    case 'gap':
      return isSharedError(data['error']) && data['error'].code === 'gap' ? (data as TabMessage) : undefined;
    default:
      return undefined;
  }
}
