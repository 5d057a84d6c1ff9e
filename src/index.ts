// The `sse-kit` entry point: the driver core and peer signaling, listed by name.
export { SseDriver } from './core/SseDriver.js';
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
} from './core/errors.js';
export { discover, discoverHub } from './core/discover.js';
export { mercure } from './core/protocols/mercure.js';
export { sse } from './core/protocols/sse.js';
export { channels, CHANNEL_PRESENCE_TOPIC } from './core/protocols/channels.js';
export { tokenStream } from './core/protocols/tokenStream.js';
export { watchPresence } from './core/protocols/presence.js';
export type { PresenceWatch } from './core/protocols/presence.js';
export type { PresenceMember, PresenceSnapshot, PresenceSupport } from './core/protocols/presence.js';
export type { MercureOptions } from './core/protocols/mercure.js';
export type { SseServerOptions } from './core/protocols/sse.js';
export type { ChannelsOptions } from './core/protocols/channels.js';
export type { TokenStreamOptions } from './core/protocols/tokenStream.js';
export type { PublishCall, PublishFunction } from './core/protocols/fixedStream.js';
export type {
  AdapterRequest,
  ForeignEvent,
  JoinedSubscription,
  ProtocolAdapter,
  ProtocolCapabilities,
  ProtocolFallback,
  PublishInput,
  ServerOption,
  SubscribeInput,
} from './core/protocols/types.js';
export type { SseErrorCode, SseErrorOptions } from './core/errors.js';
export type { DiscoveredHub, Discovery } from './core/discover.js';
export type { Envelope } from './core/envelope.js';
export type { CompiledMatcher } from './core/matcher.js';
export type { TabChannel, TabLocks, TabRole, TabsInfo, TabsOptions } from './core/tabs/types.js';
export type { CursorStorage } from './core/tabs/cursorStore.js';
export type {
  ConnectionStatus,
  DriverEvent,
  SseDriverEvents,
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
} from './core/types.js';
export { PeerSignaling, DEFAULT_CHANNEL, PeerConnection, SignalingError, signalingTopics, DEFAULT_TOPIC_BASE } from './signaling/index.js';
export type {
  SignalingErrorCode,
  SignalingTopics,
  DataChannelOptions,
  DataChannelState,
  PeerConnectionEventMap,
  PeerConnectionOptions,
  PeerConnectionPlatform,
  PeerConnectionSnapshot,
  PeerConnectionState,
  RTCPeerConnectionConstructor,
  SignalingLink,
  LeaveReason,
  OutboxStatus,
  Peer,
  PeerSignalingOptions,
  SendBeacon,
  SendOptions,
  Signal,
  SignalingEventMap,
  SignalingPlatform,
  SignalingSnapshot,
  SignalingStatus,
} from './signaling/index.js';
