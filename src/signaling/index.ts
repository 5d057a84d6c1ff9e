export { PeerSignaling, DEFAULT_CHANNEL } from './PeerSignaling.js';
export { PeerConnection } from './PeerConnection.js';
export { SignalingError } from './errors.js';
export { signalingTopics, DEFAULT_TOPIC_BASE } from './topics.js';
export type { SignalingErrorCode } from './errors.js';
export type { SignalingTopics } from './topics.js';
export type {
  DataChannelOptions,
  DataChannelState,
  PeerConnectionOptions,
  PeerConnectionPlatform,
  PeerConnectionSnapshot,
  PeerConnectionState,
  RTCPeerConnectionConstructor,
  SignalingLink,
} from './PeerConnection.js';
export type {
  LeaveReason,
  Peer,
  PeerSignalingOptions,
  SendOptions,
  Signal,
  SignalingEventMap,
  SignalingPlatform,
  SignalingSnapshot,
  SignalingStatus,
} from './types.js';
