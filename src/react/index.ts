'use client';
export { SseProvider } from './SseProvider.js';
export { useSseDriver } from './useSseDriver.js';
export { useTopic } from './useTopic.js';
export { usePublish } from './usePublish.js';
export { useConnectionStatus } from './useConnectionStatus.js';
export type {
  PublishCallOptions,
  PublishStatus,
  SseProviderDriverProps,
  SseProviderOptionsProps,
  SseProviderProps,
  TopicParser,
  UseConnectionStatusResult,
  UsePublishOptions,
  UsePublishResult,
  UseTopicOptions,
  UseTopicResult,
} from './types.js';
