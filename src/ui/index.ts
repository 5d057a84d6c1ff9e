'use client';
export { ConnectionStatus, connectionStatusLabels } from './ConnectionStatus.js';
export { TopicFeed, eventAuthor, eventText, formatPayload } from './TopicFeed.js';
export { hueOf, initialsOf } from './identity.js';
export { formatRelativeTime } from './relativeTime.js';
export { PublishForm } from './PublishForm.js';
export { PeerList, defaultPeerName } from './PeerList.js';
export { HubInspector } from './HubInspector.js';
export { InspectorStore } from './InspectorStore.js';
export type { ConnectionStatusProps } from './ConnectionStatus.js';
export type { TopicFeedProps, TopicFeedTopicOptions } from './TopicFeed.js';
export type { PublishFormProps } from './PublishForm.js';
export type { PeerListProps } from './PeerList.js';
export type { HubInspectorProps, HubInspectorTabs } from './HubInspector.js';
export type { InspectableDriver, InspectorStoreOptions } from './InspectorStore.js';
export type {
  ConnectionState,
  InspectorError,
  InspectorSnapshot,
  PeerListPeer,
  PeerPresence,
  PublishFormMode,
  PublishFormState,
  TimelineEntry,
  TimelineKind,
  TopicFeedEvent,
  UiClock,
} from './types.js';
