// sse-kit/hub: the Node hub (createHub, `npm run hub`), its transports, and the platform-neutral
// engine for serving the Mercure protocol from another server (webRequest / webResponse / streamSink).
export { createHub } from './node/createHub.js';
export type { CreateHubOptions, NodeHub } from './node/createHub.js';
export { consoleLogger } from './node/consoleLogger.js';
export { HubTransportError, RedisTransport } from './engine/transport/RedisTransport.js';
export type { RedisTransportOptions } from './engine/transport/RedisTransport.js';
export { HubEngine } from './engine/HubEngine.js';
export { HubError } from './engine/errors.js';
export type { HubErrorCode } from './engine/errors.js';
export { DEV_PUBLISHER_KEY, DEFAULT_LIMITS, HUB_PATH } from './engine/defaults.js';
export { MemoryTransport } from './engine/transport/MemoryTransport.js';
export { comparePositions } from './engine/transport/types.js';
export type { AppendResult, HistoryEntry, HubTransport, MaybePromise, TransportListener } from './engine/transport/types.js';
export { streamSink, webRequest, webResponse } from './engine/webAdapter.js';
export type { StreamSink } from './engine/webAdapter.js';
export { MERCURE_DETAIL_TYPE } from './engine/grants.js';
export type {
  ConnectionInfo,
  DisconnectReason,
  DispatchReport,
  HistoryPage,
  HubConnectionHandle,
  HubCorsOptions,
  HubEngineOptions,
  HubEventMap,
  HubKey,
  HubKeyAlgorithm,
  HubLimits,
  HubLogger,
  HubRequest,
  HubResponse,
  HubResult,
  HubSink,
  HubStream,
  HubTimers,
  HubUpdate,
  MatchType,
  MatcherSpec,
  PublishInput,
  RejectionInfo,
  SseFrame,
  SubscriptionDocument,
} from './engine/types.js';
