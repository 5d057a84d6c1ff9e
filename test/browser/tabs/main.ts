/**
 * Test page: one tab of an app using sse-kit, driven from Playwright through `window.tabsTest`.
 * Query parameters: `hub` (hub URL), `share` (`0` turns cross-tab sharing off).
 */
import { SseDriver } from '../../../src/core/SseDriver.js';
import type { TabRole } from '../../../src/core/tabs/types.js';
import { PeerSignaling } from '../../../src/signaling/PeerSignaling.js';

const params = new URLSearchParams(location.search);
const driver = new SseDriver({ url: params.get('hub') ?? '', tabs: params.get('share') !== '0' });

/** Payloads of `/feed` updates, in delivery order. */
const feed: unknown[] = [];
/** Every role this tab took, with the time (ms since epoch). */
const roles: { role: TabRole; at: number }[] = [];
const errors: string[] = [];
let signaling: PeerSignaling | undefined;
const peers = new Set<string>();

/** Every status this tab showed, with the time (ms since epoch). */
const statuses: { status: string; at: number }[] = [];

driver.on('state', () => {
  const { role } = driver.getTabs();
  if (roles.at(-1)?.role !== role) roles.push({ role, at: Date.now() });
  const { status } = driver.getSnapshot();
  if (statuses.at(-1)?.status !== status) statuses.push({ status, at: Date.now() });
});

const api = {
  /** Subscribes to `/feed`; resolves once the stream carrying it is live. */
  subscribe(): Promise<void> {
    return new Promise((resolve) => {
      driver.subscribe('/feed', (update) => feed.push(update.data), { onActive: resolve, onError: (e) => errors.push(e.message) });
    });
  },
  feed,
  roles,
  statuses,
  errors,
  role: (): TabRole => driver.getTabs().role,
  tabs: (): number => driver.getTabs().tabs,
  status: (): string => driver.getSnapshot().status,
  /** Joins a signaling room as `peerId`. */
  join(room: string, peerId: string): void {
    signaling = new PeerSignaling(driver, room, { peerId, onError: (e) => errors.push(e.message) });
    signaling.on('join', ({ peer }) => peers.add(peer.id));
    signaling.on('leave', ({ peer }) => peers.delete(peer.id));
    signaling.join();
  },
  peers: (): string[] => [...peers].sort(),
};

declare global {
  interface Window {
    tabsTest: typeof api;
  }
}
window.tabsTest = api;
document.getElementById('status')!.textContent = 'ready';
