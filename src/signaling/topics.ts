/** Default base of signaling topics. `.invalid` is reserved (RFC 2606): it never names a real host. */
export const DEFAULT_TOPIC_BASE = 'https://sse-kit.invalid/signaling';

/** The topics a signaling room uses. */
export interface SignalingTopics {
  /** Room topic: announcements, heartbeats, `bye` and broadcasts. `{base}/rooms/{room}` */
  readonly room: string;
  /** Inbox of one peer: answers and direct signals. `{base}/rooms/{room}/peers/{peerId}` */
  inbox(peerId: string): string;
  /** URL pattern selecting every inbox of the room (for publish grants in tokens). `{base}/rooms/{room}/peers/:peer` */
  readonly inboxPattern: string;
}

/**
 * Builds the topic names of a room. Segments are percent-encoded, so any room name or peer id
 * yields a valid absolute URI.
 * @param room - room name.
 * @param base - absolute URI prefix (default {@link DEFAULT_TOPIC_BASE}).
 */
export function signalingTopics(room: string, base: string = DEFAULT_TOPIC_BASE): SignalingTopics {
  const prefix = `${base.replace(/\/+$/, '')}/rooms/${encodeURIComponent(room)}`;
  return {
    room: prefix,
    inbox: (peerId) => `${prefix}/peers/${encodeURIComponent(peerId)}`,
    inboxPattern: `${prefix}/peers/:peer`,
  };
}
