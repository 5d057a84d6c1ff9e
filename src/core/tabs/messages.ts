import type { RawEvent, TopicMatcher } from '../types.js';
import type { SharedState, TabMessage } from './types.js';

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
    case 'state':
      return isSharedState(data['state']) ? (data as TabMessage) : undefined;
    default:
      return undefined;
  }
}
