'use client';
export { SseProvider } from './SseProvider.js';
export { useSseDriver } from './useSseDriver.js';
export { useTopic } from './useTopic.js';
export { usePublish } from './usePublish.js';
export { useConnectionStatus } from './useConnectionStatus.js';
export { usePeerSignaling } from './usePeerSignaling.js';
export { usePeerConnection } from './usePeerConnection.js';
export { usePresence } from './usePresence.js';
export { useTabs } from './useTabs.js';
// The subscribable the hooks' stores are built on: for external stores of your own (and the UI kit's).
export { Emitter } from '../core/emitter.js';
export type { EmitterOptions, ListenerErrorHandler } from '../core/emitter.js';
export type { UsePresenceResult } from './usePresence.js';
export type { UsePeerSignalingOptions, UsePeerSignalingResult } from './usePeerSignaling.js';
export type { UsePeerConnectionOptions, UsePeerConnectionResult } from './usePeerConnection.js';
export type {
  ConnectionState,
  PublishCallOptions,
  PublishStatus,
  SseProviderDriverProps,
  SseProviderOptionsProps,
  SseProviderProps,
  TopicParseFunction,
  TopicParser,
  UseConnectionStatusResult,
  UsePublishOptions,
  UsePublishResult,
  UseTopicOptions,
  UseTopicResult,
} from './types.js';
