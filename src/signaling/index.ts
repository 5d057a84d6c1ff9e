export { PeerSignaling } from './PeerSignaling.js';
export { PeerConnection } from './PeerConnection.js';
export { SignalingError } from './errors.js';
export { DEFAULT_CHANNEL } from './wire.js';
export { signalingTopics, DEFAULT_TOPIC_BASE } from './topics.js';
export type { SignalingErrorCode } from './errors.js';
export type { SignalingTopics } from './topics.js';
export type {
  DataChannelOptions,
  DataChannelState,
  PeerConnectionEventMap,
  PeerConnectionOptions,
  PeerConnectionPlatform,
  PeerConnectionSnapshot,
  PeerConnectionState,
  RTCPeerConnectionConstructor,
  SignalingLink,
} from './peerConnectionTypes.js';
export type {
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
} from './types.js';
