import { configure, render, type RenderResult } from '@testing-library/react';
import type { ReactElement, ReactNode } from 'react';
import { SseDriver } from '../../src/index.js';
import { MockHub, type MockHubOptions } from '../../src/mock/index.js';
import { SseProvider } from '../../src/react/index.js';

/** A MockHub, a driver on it, and the UI rendered inside an `SseProvider` for that driver. */
export interface Harness extends RenderResult {
  hub: MockHub;
  driver: SseDriver;
  /** A second client on the same hub. */
  other: SseDriver;
}

// `waitFor` and `findBy…` wait for what hub events cause; their bound only reports a hang, so it must hold
// on a machine whose cores are busy with something else (the default 1 s does not).
configure({ asyncUtilTimeout: 15_000 });

const live: Array<() => void> = [];

/** Options of the harness's main driver that a test overrides. */
type DriverOverrides = Partial<ConstructorParameters<typeof SseDriver>[0]>;

/**
 * A `fetch` for `hub` that holds every publish (POST) until `release()`: a slow hub whose slowness ends when
 * the test says, not after some time.
 */
export function holdPublishes(hub: MockHub): { fetch: typeof hub.fetch; release: () => void } {
  const held: Array<() => void> = [];
  let released = false;
  const fetch: typeof hub.fetch = async (input, init) => {
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    if (method === 'POST' && !released) await new Promise<void>((resolve) => held.push(resolve));
    return hub.fetch(input, init);
  };
  return {
    fetch,
    release: () => {
      released = true;
      for (const resolve of held.splice(0)) resolve();
    },
  };
}

/** Renders `ui` under a provider over a fresh MockHub. Call {@link disposeHarnesses} after each test. */
export function renderWithHub(ui: ReactElement, options: MockHubOptions = {}, driverOptions: DriverOverrides | ((hub: MockHub) => DriverOverrides) = {}): Harness {
  const hub = new MockHub(options);
  const overrides = typeof driverOptions === 'function' ? driverOptions(hub) : driverOptions;
  const driver = new SseDriver({ url: hub.url, fetch: hub.fetch, retry: { initialDelay: 20, maxDelay: 50 }, ...overrides });
  const other = new SseDriver({ url: hub.url, fetch: hub.fetch });
  const result = render(<SseProvider driver={driver}>{ui}</SseProvider>);
  live.push(() => {
    result.unmount();
    driver.destroy();
    other.destroy();
    hub.close();
  });
  const rerender = (next: ReactNode) => result.rerender(<SseProvider driver={driver}>{next}</SseProvider>);
  return { ...result, rerender, hub, driver, other };
}

/** Unmounts and closes everything {@link renderWithHub} made. */
export function disposeHarnesses(): void {
  for (const dispose of live.splice(0)) dispose();
}
