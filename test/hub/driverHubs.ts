import type { Socket } from 'node:net';
import { createHub } from '../../src/hub/index.js';
import type { HubEngine } from '../../src/hub/engine/index.js';
import type { HubEngineOptions } from '../../src/hub/engine/types.js';
import { MockHub } from '../../src/mock/index.js';
import { SseDriver, type SseDriverOptions } from '../../src/index.js';

/** Engine options a driver test may set (`url`, `timers` and `log` belong to the front door). */
export type DriverHubOptions = Omit<HubEngineOptions, 'url' | 'timers' | 'log' | 'cors'>;

/** A request the hub served, as the test saw it arrive. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
}

/** One hub behind one front door, as the driver suite drives it. */
export interface DriverHub {
  /** The hub URL to give drivers. */
  readonly url: string;
  /** The `fetch` drivers use to reach it (the mock's own, or the global one over loopback). */
  readonly fetch: typeof fetch;
  /** The engine behind the front door (live connections, server-side publishes, events). */
  readonly engine: HubEngine;
  /** Every request received so far, in arrival order. */
  readonly requests: readonly SeenRequest[];
  /** Live subscription connections. */
  connections(): number;
  /** Cuts every live subscription through the hub's own API (`dropConnections`). */
  dropConnections(): void;
  /**
   * Kills the streams below the hub's API: the mock errors its response bodies, the Node hub's
   * subscription sockets are destroyed, as a broken network would.
   */
  killStreams(): void;
  close(): Promise<void>;
}

/** Starts a hub with `options`. */
export type DriverHubFactory = (options?: DriverHubOptions) => Promise<DriverHub>;

export const mockHub: DriverHubFactory = async (options = {}) => {
  const hub = new MockHub(options);
  const requests: SeenRequest[] = [];
  hub.on('request', (record) => requests.push({ method: record.method, url: record.url }));
  return {
    url: hub.url,
    fetch: hub.fetch as typeof fetch,
    engine: hub.engine,
    requests,
    connections: () => hub.connections,
    dropConnections: () => hub.dropConnections(),
    killStreams: () => hub.dropConnections(),
    close: async () => hub.close(),
  };
};

export const nodeHub: DriverHubFactory = async (options = {}) => {
  const hub = await createHub({ ...options, port: 0, host: '127.0.0.1', log: false });
  const requests: SeenRequest[] = [];
  const streamSockets = new Set<Socket>();
  hub.server.on('request', (req) => {
    requests.push({ method: req.method ?? '', url: new URL(req.url ?? '/', hub.url).href });
    if (req.method === 'GET' || req.method === 'QUERY') {
      const socket = req.socket;
      streamSockets.add(socket);
      socket.once('close', () => streamSockets.delete(socket));
    }
  });
  return {
    url: hub.url,
    fetch: globalThis.fetch,
    engine: hub.engine,
    requests,
    connections: () => hub.engine.connections.length,
    dropConnections: () => hub.engine.dropConnections(),
    killStreams: () => {
      for (const socket of streamSockets) socket.destroy();
    },
    close: () => hub.close(),
  };
};

/** Both front doors of the hub engine, for `describe.each`: every driver test runs on each. */
export const DRIVER_HUBS: [string, DriverHubFactory][] = [
  ['MockHub', mockHub],
  ['Node hub', nodeHub],
];

/**
 * Per-test hubs and drivers on `factory`, closed after each test (register the returned
 * `cleanup` with `afterEach`). Hubs take the test publisher key; drivers back off quickly.
 */
export function driverFixtures(factory: DriverHubFactory, publisherKey: string) {
  const cleanups: (() => unknown)[] = [];
  return {
    async cleanup(): Promise<void> {
      for (const close of cleanups.splice(0).reverse()) await close();
    },
    async start(options: DriverHubOptions = {}): Promise<DriverHub> {
      const hub = await factory({ publisherKey, ...options });
      cleanups.push(() => hub.close());
      return hub;
    },
    driver(hub: DriverHub, options: Partial<SseDriverOptions> = {}): SseDriver {
      const d = new SseDriver({ url: hub.url, fetch: hub.fetch, retry: { initialDelay: 50, maxDelay: 200 }, ...options });
      cleanups.push(() => d.destroy());
      return d;
    },
  };
}
