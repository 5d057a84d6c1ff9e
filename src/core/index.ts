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
export { mercure } from './protocols/mercure.js';
export { sse } from './protocols/sse.js';
export { channels, CHANNEL_PRESENCE_TOPIC } from './protocols/channels.js';
export { tokenStream } from './protocols/tokenStream.js';
export type { PresenceWatch } from './protocols/presence.js';
export type { PresenceMember, PresenceSnapshot, PresenceSupport } from './protocols/presence.js';
export type { MercureOptions } from './protocols/mercure.js';
export type { SseServerOptions } from './protocols/sse.js';
export type { ChannelsOptions } from './protocols/channels.js';
export type { TokenStreamOptions } from './protocols/tokenStream.js';
export type { PublishCall, PublishFunction } from './protocols/fixedStream.js';
export type {
  AdapterRequest,
  ForeignEvent,
  ProtocolAdapter,
  ProtocolCapabilities,
  ProtocolFallback,
  PublishInput,
  ServerOption,
  SubscribeInput,
} from './protocols/types.js';
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
