import type { SseDriver } from '../core/SseDriver.js';
import type { JsonValue } from '../core/types.js';
import { SignalingError } from './errors.js';
import { resolveSignalingPlatform } from './platform.js';
import { getSubtle } from './sessionCrypto.js';
import { signalingTopics, type SignalingTopics } from './topics.js';
import { notJson } from './wire.js';
import type { PeerSignalingOptions, SignalingPlatform } from './types.js';

/** {@link PeerSignalingOptions} with every default applied. */
export interface ResolvedSignalingOptions {
  readonly platform: SignalingPlatform;
  readonly selfId: string;
  readonly topics: SignalingTopics;
  readonly heartbeat: number;
  readonly timeout: number;
  readonly maxPeers: number;
  readonly sendTimeout: number;
  readonly leaveTimeout: number;
  readonly encrypt: boolean | 'required';
  /** WebCrypto, when direct signals are encrypted. */
  readonly subtle: SubtleCrypto | undefined;
  readonly private: boolean;
  readonly onError: ((error: Error) => void) | undefined;
  readonly metadata: JsonValue;
}

/**
 * Checks the options of a {@link PeerSignaling} and applies the defaults.
 * @throws {SignalingError} `misuse` for an empty room, `timeout <= heartbeat`, timeouts or `maxPeers` out of range,
 *   metadata that is not JSON, or encryption asked for where WebCrypto is missing.
 */
export function resolveOptions(driver: SseDriver, room: string, options: PeerSignalingOptions): ResolvedSignalingOptions {
  if (typeof room !== 'string' || room === '') throw new SignalingError('misuse', 'PeerSignaling needs a non-empty room name.');
  const platform = resolveSignalingPlatform(driver.platform, options.platform);
  const heartbeat = options.heartbeat ?? 10_000;
  const timeout = options.timeout ?? 3 * heartbeat;
  if (!(heartbeat > 0) || !(timeout > heartbeat)) {
    throw new SignalingError('misuse', `PeerSignaling needs 0 < heartbeat < timeout (got ${heartbeat} and ${timeout}).`, {
      hint: 'A timeout of three heartbeats tolerates two lost beats.',
    });
  }
  const maxPeers = options.maxPeers ?? 256;
  if (!Number.isSafeInteger(maxPeers) || maxPeers < 1) {
    throw new SignalingError('misuse', `PeerSignaling needs maxPeers to be a positive integer (got ${maxPeers}).`);
  }
  const sendTimeout = options.sendTimeout ?? 10_000;
  const leaveTimeout = options.leaveTimeout ?? 3_000;
  if (!(sendTimeout > 0) || !(leaveTimeout >= 0)) {
    throw new SignalingError('misuse', `PeerSignaling needs sendTimeout > 0 and leaveTimeout >= 0 (got ${sendTimeout} and ${leaveTimeout}).`);
  }
  const invalidMetadata = options.metadata === undefined ? undefined : notJson('The metadata option', options.metadata);
  if (invalidMetadata) throw invalidMetadata;
  const subtle = getSubtle();
  const encrypt = options.encrypt ?? subtle !== undefined;
  if (encrypt !== false && subtle === undefined) {
    throw new SignalingError('misuse', 'End-to-end encryption needs WebCrypto (crypto.subtle), which this context lacks.', {
      hint: 'Serve the page over https (or localhost), or pass encrypt: false.',
    });
  }
  return {
    platform,
    selfId: options.peerId ?? platform.uuid(),
    topics: signalingTopics(room, options.topicBase),
    heartbeat,
    timeout,
    maxPeers,
    sendTimeout,
    leaveTimeout,
    encrypt,
    subtle: encrypt === false ? undefined : subtle,
    private: options.private === true,
    onError: options.onError,
    metadata: options.metadata ?? null,
  };
}
