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

/** Renders `ui` under a provider over a fresh MockHub. Call {@link disposeHarnesses} after each test. */
export function renderWithHub(ui: ReactElement, options: MockHubOptions = {}, driverOptions: Partial<ConstructorParameters<typeof SseDriver>[0]> = {}): Harness {
  const hub = new MockHub(options);
  const driver = new SseDriver({ url: hub.url, fetch: hub.fetch, retry: { initialDelay: 20, maxDelay: 50 }, ...driverOptions });
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
