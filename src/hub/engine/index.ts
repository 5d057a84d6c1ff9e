// The engine's internal barrel (runtime pieces for the mock and Node front doors and tests). Its types
// are imported from `./types.js`; the public list is `src/hub/index.ts`.
export { HubEngine } from './HubEngine.js';
export { HubError } from './errors.js';
export type { HubErrorCode } from './errors.js';
export { DEV_PUBLISHER_KEY, DEFAULT_LIMITS, HUB_PATH, globalTimers } from './defaults.js';
export { HistoryRing } from './HistoryRing.js';
export { MemoryTransport } from './transport/MemoryTransport.js';
export { comparePositions } from './transport/types.js';
export type { AppendResult, HistoryEntry, HubTransport, MaybePromise, TransportListener } from './transport/types.js';
export { compileMatcher } from './topicMatcher.js';
export type { TopicMatcher } from './topicMatcher.js';
export { compileUriTemplate } from './uriTemplate.js';
export { formatEvent, createFrame } from './sseFrame.js';
export { isReservedTopic } from './validation.js';
export { encodeVariable, subscriptionTopic } from './subscriptionsApi.js';
export { readLimited, streamSink, webRequest, webResponse } from './webAdapter.js';
export type { StreamSink } from './webAdapter.js';
export { WorkMeter } from './linearMatcher.js';
export { MERCURE_DETAIL_TYPE } from './grants.js';
