export { SseDriver } from './SseDriver.js';
export {
  SseError,
  SseAuthError,
  SseRateLimitError,
  SseNetworkError,
  SseProtocolError,
  SseUnroutableError,
  SseGapError,
  SseParseError,
  isAuthError,
} from './errors.js';
export { discover, discoverHub } from './discover.js';
export type { SseErrorCode, SseErrorOptions } from './errors.js';
export type { DiscoveredHub, Discovery } from './discover.js';
export type { Envelope } from './envelope.js';
export type { TabChannel, TabLocks, TabRole, TabsInfo, TabsOptions } from './tabs/types.js';
export type { CursorStorage } from './tabs/cursorStore.js';
export type {
  ConnectionStatus,
  DriverEvent,
  DriverState,
  EventSourceConstructor,
  EventSourceLike,
  FetchLike,
  HeadersOption,
  JsonValue,
  Matchers,
  Platform,
  Protocol,
  ProtocolOption,
  PublishOptions,
  RawEvent,
  RetryPolicy,
  SseDriverOptions,
  SseListener,
  SseUpdate,
  SubscribeOptions,
  SubscriberOptions,
  SubscriptionInfo,
  TopicMatcher,
} from './types.js';
