import { act, cleanup, render, screen } from '@testing-library/react';
import { StrictMode, useState, type ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SseDriver } from '../../src/core/SseDriver.js';
import { SseProvider, useConnectionStatus, usePublish, useSseDriver, useTopic } from '../../src/react/index.js';
import { countRequests, createDriver, createHub, driverOptions, hubPublish, instrument, tick, topic } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function Reader({ name, label }: { name: string; label: string }) {
  const { events, status } = useTopic<{ n: number }>(topic(name));
  return (
    <p data-testid={label} data-state={status}>
      {events.map((e) => e.data.n).join(',')}
    </p>
  );
}

describe('SseProvider', () => {
  it('makes every hook outside a provider throw one sentence naming SseProvider', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const hooks: [string, () => unknown][] = [
      ['useTopic', () => useTopic('a')],
      ['usePublish', () => usePublish('a')],
      ['useConnectionStatus', () => useConnectionStatus()],
      ['useSseDriver', () => useSseDriver()],
    ];
    for (const [name, hook] of hooks) {
      function Lonely() {
        hook();
        return null;
      }
      let thrown: unknown;
      try {
        render(<Lonely />);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'misuse' });
      const message = (thrown as Error).message;
      expect(message).toContain(`${name}()`);
      expect(message).toContain('<SseProvider');
      expect(message.split(/\.\s/).length).toBe(1);
    }
  });

  it('opens exactly one SSE connection for ten components reading three topics (behaviour 1)', async () => {
    const hub = createHub();
    const requests = countRequests(hub);
    const names = ['a', 'b', 'c'];
    render(
      <SseProvider {...driverOptions(hub)}>
        {Array.from({ length: 10 }, (_, i) => (
          <Reader key={i} name={names[i % 3] as string} label={`r${i}`} />
        ))}
      </SseProvider>,
    );
    await tick(50);
    expect(requests.subscribes).toBe(1);
    expect(hub.connections).toBe(1);
    expect(hub.subscriptions[0]?.matchers.map((m) => m.match).sort()).toEqual(names.map(topic));
    hubPublish(hub, topic('b'), { n: 7 }, 'b-1');
    await tick(10);
    for (let i = 0; i < 10; i++) expect(screen.getByTestId(`r${i}`).textContent).toBe(i % 3 === 1 ? '7' : '');
    expect(screen.getByTestId('r0').dataset.state).toBe('open');
  });

  it('lets hooks use the nearest of nested providers', async () => {
    const hub = createHub();
    const outer = createDriver(hub);
    const inner = createDriver(hub);
    const seen: SseDriver[] = [];
    function Probe() {
      seen.push(useSseDriver());
      return null;
    }
    render(
      <SseProvider driver={outer}>
        <Probe />
        <SseProvider driver={inner}>
          <Probe />
        </SseProvider>
      </SseProvider>,
    );
    expect(seen).toEqual([outer, inner]);
  });

  it('destroys the driver it created when it unmounts, and never a driver it was given', async () => {
    const hub = createHub();
    const given = createDriver(hub);
    let owned: SseDriver | undefined;
    function Capture() {
      owned = useSseDriver();
      return <Reader name="a" label="r" />;
    }
    const a = render(
      <SseProvider {...driverOptions(hub)}>
        <Capture />
      </SseProvider>,
    );
    const b = render(
      <SseProvider driver={given}>
        <Reader name="a" label="g" />
      </SseProvider>,
    );
    await tick(50);
    expect(hub.connections).toBe(2);
    a.unmount();
    b.unmount();
    await tick(50);
    expect(owned?.destroyed).toBe(true);
    expect(given.destroyed).toBe(false);
    expect(hub.connections).toBe(0);
    given.destroy();
  });

  it('opens one connection under StrictMode and closes it within a short grace period after the last consumer leaves (behaviour 3)', async () => {
    const hub = createHub();
    const requests = countRequests(hub);
    let show!: (value: boolean) => void;
    function Toggle({ children }: { children: ReactNode }) {
      const [on, setOn] = useState(true);
      show = setOn;
      return on ? children : null;
    }
    render(
      <StrictMode>
        <SseProvider {...driverOptions(hub)}>
          <Toggle>
            <Reader name="a" label="r1" />
            <Reader name="b" label="r2" />
          </Toggle>
        </SseProvider>
      </StrictMode>,
    );
    await tick(50);
    expect(requests.subscribes).toBe(1);
    expect(hub.connections).toBe(1);
    expect(screen.getByTestId('r1').dataset.state).toBe('open');

    act(() => show(false));
    await tick(20);
    expect(hub.connections).toBe(0);
    expect(requests.subscribes).toBe(1);
  });

  it('passes changed headers to the driver it owns, which retries a connection stopped by 401', async () => {
    const hub = createHub();
    const requests = countRequests(hub);
    hub.failNext(401, { method: 'GET' });
    const app = (token: string) => (
      <SseProvider {...driverOptions(hub)} headers={{ 'X-Credentials': token }}>
        <Reader name="a" label="r" />
      </SseProvider>
    );
    const view = render(app('old'));
    await tick(50);
    expect(screen.getByTestId('r').dataset.state).toBe('error');
    view.rerender(app('old'));
    await tick(1000);
    expect(requests.subscribes).toBe(1);
    view.rerender(app('new'));
    await tick(50);
    expect(requests.subscribes).toBe(2);
    expect(screen.getByTestId('r').dataset.state).toBe('open');
  });

  it('leaves no connection, timer or listener behind after 1,000 mount/unmount cycles (behaviour 3)', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const stats = instrument(driver);
    function Consumer({ i }: { i: number }) {
      useTopic(topic(i % 7));
      useConnectionStatus();
      usePublish(topic('out'));
      return null;
    }
    for (let i = 0; i < 1000; i++) {
      const view = render(
        <StrictMode>
          <SseProvider driver={driver}>
            <Consumer i={i} />
          </SseProvider>
        </StrictMode>,
      );
      // Every 50th cycle lets the connection open before unmounting.
      if (i % 50 === 0) await tick(20);
      view.unmount();
    }
    // Providers that own their driver, mounted and unmounted as often.
    const owned: SseDriver[] = [];
    function Capture() {
      owned.push(useSseDriver());
      return <Consumer i={0} />;
    }
    for (let i = 0; i < 1000; i++) {
      const view = render(
        <StrictMode>
          <SseProvider {...driverOptions(hub)}>
            <Capture />
          </SseProvider>
        </StrictMode>,
      );
      if (i % 50 === 0) await tick(20);
      view.unmount();
    }
    await tick(50);
    expect(stats.subscribes).toBeGreaterThanOrEqual(1000);
    expect(stats.liveSubscriptions).toBe(0);
    expect(stats.liveStateListeners).toBe(0);
    expect(driver.getSubscriptions()).toEqual([]);
    expect(new Set(owned).size).toBeGreaterThanOrEqual(1000);
    expect(owned.every((d) => d.destroyed)).toBe(true);
    expect(hub.connections).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    driver.destroy();
  });
});
