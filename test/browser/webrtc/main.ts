/**
 * Test page: one peer of a signaling room, driven from Playwright through `window.sseTest`.
 * Query parameters: `hub` (hub URL) and `peer` (peer id).
 */
import { SseDriver } from '../../../src/core/SseDriver.js';
import { PeerConnection } from '../../../src/signaling/PeerConnection.js';
import { PeerSignaling } from '../../../src/signaling/PeerSignaling.js';

const params = new URLSearchParams(location.search);
const hub = params.get('hub') ?? '';
const peerId = params.get('peer') ?? crypto.randomUUID();
const driver = new SseDriver({ url: hub });
const statusEl = document.getElementById('status')!;
const logEl = document.getElementById('log')!;

interface Joined {
  readonly signaling: PeerSignaling;
  readonly connections: Map<string, PeerConnection>;
  readonly startedAt: number;
  /** When the first data channel opened, per peer (ms after `join()`). */
  readonly openedAfter: Map<string, number>;
}

let current: Joined | undefined;
const log: string[] = [];

function write(line: string): void {
  log.push(line);
  const li = document.createElement('li');
  li.textContent = line;
  logEl.append(li);
}

function join(room: string): void {
  const signaling = new PeerSignaling(driver, room, { peerId, onError: (e) => write(`error ${e.message}`) });
  const joined: Joined = { signaling, connections: new Map(), startedAt: performance.now(), openedAfter: new Map() };
  current = joined;
  signaling.on('status', ({ status }) => {
    statusEl.textContent = status;
  });
  signaling.on('join', ({ peer }) => {
    write(`join ${peer.id}`);
    const connection = new PeerConnection(signaling, peer.id, { onError: (e) => write(`error ${e.message}`) });
    joined.connections.set(peer.id, connection);
    connection.onMessage((data) => write(`message ${peer.id} ${String(data)}`));
    connection.subscribe(() => {
      if (connection.getSnapshot().channelState === 'open' && !joined.openedAfter.has(peer.id)) {
        joined.openedAfter.set(peer.id, performance.now() - joined.startedAt);
        write(`open ${peer.id}`);
      }
    });
  });
  signaling.on('leave', ({ peer, reason }) => write(`leave ${peer.id} ${reason}`));
  signaling.join();
}

const api = {
  peerId,
  log,
  join,
  /** Leaves the current room (sends bye) and closes its connections. */
  async leave(): Promise<void> {
    const joined = current;
    current = undefined;
    if (!joined) return;
    for (const connection of joined.connections.values()) connection.close();
    await joined.signaling.leave();
    joined.signaling.destroy();
  },
  status: (): string => current?.signaling.status ?? 'idle',
  channelState: (peer: string): string => current?.connections.get(peer)?.getSnapshot().channelState ?? 'none',
  openedAfter: (peer: string): number | undefined => current?.openedAfter.get(peer),
  /** RTCPeerConnection states, for failure messages. */
  rtc(peer: string): string {
    const pc = current?.connections.get(peer)?.connection;
    return pc ? `${pc.signalingState}/${pc.iceConnectionState}/${pc.connectionState}` : 'none';
  },
  send(peer: string, text: string): void {
    current?.connections.get(peer)?.send(text);
  },
};

declare global {
  interface Window {
    sseTest: typeof api;
  }
}
window.sseTest = api;
statusEl.textContent = 'ready';
