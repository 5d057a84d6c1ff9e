import { vi } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import type { HubUpdate } from '../../src/hub/engine/types.js';
import { MockHub } from '../../src/mock/index.js';
import { PeerSignaling } from '../../src/signaling/PeerSignaling.js';
import type { PeerSignalingOptions, Signal, SignalingEventMap } from '../../src/signaling/types.js';

/** Lets fake time pass (timers and the promise callbacks they cause). */
export const tick = (ms = 0): Promise<unknown> => vi.advanceTimersByTimeAsync(ms);

/** The signaling frame inside an update the hub dispatched (`undefined` for other updates). */
export function frameOf(update: HubUpdate): { from: string; sid: string; msgs: { t: string; seq: number; [k: string]: unknown }[] } | undefined {
  try {
    const envelope = JSON.parse(update.data) as { payload?: { sig?: number } };
    return envelope.payload?.sig === 1 ? (envelope.payload as never) : undefined;
  } catch {
    return undefined;
  }
}

/** Records what one client sees. */
export interface Client {
  readonly driver: SseDriver;
  readonly signaling: PeerSignaling;
  readonly signals: Signal[];
  readonly joins: string[];
  readonly leaves: { id: string; reason: string }[];
  readonly errors: Error[];
  readonly peerIds: () => string[];
}

/** A driver on `hub` (through `fetch`, default the hub's) plus a PeerSignaling in `room`, recording events. */
export function client(hub: MockHub, room: string, options: PeerSignalingOptions = {}, fetch: typeof hub.fetch = hub.fetch): Client {
  const driver = new SseDriver({ url: hub.url, fetch, protocol: 'v1', platform: { events: undefined, random: () => 0.5 } });
  const errors: Error[] = [];
  const signaling = new PeerSignaling(driver, room, { encrypt: false, platform: { events: undefined }, onError: (e) => errors.push(e), ...options });
  const signals: Signal[] = [];
  const joins: string[] = [];
  const leaves: { id: string; reason: string }[] = [];
  signaling.on('signal', (s) => signals.push(s));
  signaling.on('join', ({ peer }: SignalingEventMap['join']) => joins.push(peer.id));
  signaling.on('leave', ({ peer, reason }) => leaves.push({ id: peer.id, reason }));
  return { driver, signaling, signals, joins, leaves, errors, peerIds: () => signaling.peers.map((p) => p.id).sort() };
}

/** Publishes a hand-made signaling frame on behalf of a foreign peer. */
export function publishFrame(
  hub: MockHub,
  topic: string,
  frame: { from: string; sid: string; at: number; msgs: Record<string, unknown>[] },
  id = `urn:uuid:${crypto.randomUUID()}`,
): void {
  hub.publish({ topic, id, data: JSON.stringify({ 'sse-kit': 1, id, topic, sender: 'foreign', payload: { sig: 1, ...frame } }) });
}
