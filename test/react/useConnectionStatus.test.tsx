import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderToString } from 'react-dom/server';
import { SseProvider, useConnectionStatus, useTopic, type UseConnectionStatusResult } from '../../src/react/index.js';
import { INITIAL_DRIVER_STATE } from '../../src/core/initialState.js';
import { countRequests, createDriver, createHub, hubPublish, tick, topic } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function Panel() {
  const feed = useTopic(topic('feed'));
  const connection = useConnectionStatus();
  return (
    <div>
      <p data-testid="topic">
        {feed.status} {feed.connectionError?.code ?? 'none'} {feed.error?.code ?? 'none'}
      </p>
      <p data-testid="connection">
        {connection.status} {connection.error?.code ?? 'none'} {connection.retries}
      </p>
      <button type="button" onClick={connection.reconnect}>
        Reconnect
      </button>
    </div>
  );
}

describe('useConnectionStatus', () => {
  it('shows a 401 as error/unauthorized in useTopic and useConnectionStatus and stops retrying until reconnect() (behaviour 7)', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const requests = countRequests(hub);
    hub.failNext(401, { method: 'GET' });
    render(
      <SseProvider driver={driver}>
        <Panel />
      </SseProvider>,
    );
    await tick(50);
    expect(requests.statuses).toEqual([401]);
    expect(screen.getByTestId('topic').textContent).toBe('error unauthorized none');
    expect(screen.getByTestId('connection').textContent).toBe('error unauthorized 0');

    await tick(120_000);
    expect(requests.subscribes).toBe(1);
    expect(screen.getByTestId('connection').textContent).toBe('error unauthorized 0');

    act(() => fireEvent.click(screen.getByRole('button', { name: 'Reconnect' })));
    await tick(50);
    expect(requests.subscribes).toBe(2);
    expect(screen.getByTestId('topic').textContent).toBe('open none none');
    expect(screen.getByTestId('connection').textContent).toBe('open none 0');
    driver.destroy();
  });

  it('reports retries while reconnecting, the resume cursor once reopened, and keeps reconnect stable', async () => {
    const hub = createHub();
    const driver = createDriver(hub, { retry: { initialDelay: 1000, maxDelay: 1000 } });
    const seen: UseConnectionStatusResult[] = [];
    function Probe() {
      useTopic(topic('feed'));
      // Fields are tracked as they are read: read them during render, as a component does.
      const { status, retries, error, lastEventId, reconnect } = useConnectionStatus();
      seen.push({ status, retries, error, lastEventId, reconnect });
      return null;
    }
    render(
      <SseProvider driver={driver}>
        <Probe />
      </SseProvider>,
    );
    await tick(50);
    hubPublish(hub, topic('feed'), 1, 'e-1');
    await tick(10);
    expect(seen.at(-1)).toMatchObject({ status: 'open', retries: 0 });
    hub.failNext(503, { method: 'GET', count: 2 });
    hub.dropConnections();
    await tick(10);
    expect(seen.at(-1)).toMatchObject({ status: 'reconnecting', retries: 1, error: expect.objectContaining({ code: 'network' }) });
    await tick(1000);
    expect(seen.at(-1)).toMatchObject({ status: 'reconnecting', retries: 2, error: expect.objectContaining({ code: 'server' }) });
    await tick(3000);
    expect(seen.at(-1)).toMatchObject({ status: 'open', retries: 0, error: undefined, lastEventId: 'e-1' });
    expect(new Set(seen.map((s) => s.reconnect)).size).toBe(1);
    driver.destroy();
  });

  it('renders, on the server, exactly the state of a driver that never connected', () => {
    const hub = createHub();
    const fresh = createDriver(hub);
    expect(Object.isFrozen(INITIAL_DRIVER_STATE)).toBe(true);
    let seen: UseConnectionStatusResult | undefined;
    function Probe() {
      seen = useConnectionStatus();
      return null;
    }
    renderToString(
      <SseProvider driver={fresh}>
        <Probe />
      </SseProvider>,
    );
    const { reconnect: _reconnect, ...state } = seen!;
    const { protocol: _protocol, ...initial } = fresh.getSnapshot();
    expect(state).toEqual(initial);
    fresh.destroy();
  });

  it('shows the current value of a field read for the first time, though it changed while no render read it', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    function Feed() {
      useTopic(topic('feed'));
      return null;
    }
    function Status({ show }: { show: boolean }) {
      const connection = useConnectionStatus();
      return <p>{show ? connection.status : '-'}</p>;
    }
    const app = (show: boolean) => (
      <SseProvider driver={driver}>
        <Feed />
        <Status show={show} />
      </SseProvider>
    );
    const view = render(app(false));
    await tick(50);
    expect(driver.getSnapshot().status).toBe('open');
    view.rerender(app(true));
    expect(screen.getByRole('paragraph').textContent).toBe('open');
    driver.destroy();
  });
});
