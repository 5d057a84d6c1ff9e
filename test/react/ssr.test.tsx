import { act, cleanup } from '@testing-library/react';
import { hydrateRoot } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseProvider, useConnectionStatus, usePeerSignaling, usePublish, useTopic } from '../../src/react/index.js';
import { countRequests, createHub, driverOptions, hubPublish, tick, topic } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function Page() {
  const { events, status } = useTopic<string>(topic('news'));
  const connection = useConnectionStatus();
  const { status: sending } = usePublish(topic('news'));
  return (
    <main>
      <p>
        topic {status} with {events.length} events{events.length > 0 ? `: ${events.map((e) => e.data).join(',')}` : ''}
      </p>
      <p>
        connection {connection.status}, publish {sending}
      </p>
    </main>
  );
}

describe('server rendering', () => {
  it('renderToString opens nothing and renders the initial state; hydrateRoot then connects (behaviour 4)', async () => {
    const hub = createHub();
    const requests = countRequests(hub);
    const fetchSpy = vi.fn(hub.fetch);
    const app = (
      <SseProvider {...driverOptions(hub, { fetch: fetchSpy })}>
        <Page />
      </SseProvider>
    );
    const html = renderToString(app);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(requests.subscribes).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(html).toContain('topic <!-- -->idle<!-- --> with <!-- -->0<!-- --> events');
    expect(html).toContain('connection <!-- -->idle<!-- -->, publish <!-- -->idle');

    const container = document.createElement('div');
    container.innerHTML = html;
    document.body.append(container);
    const recoverable = vi.fn();
    let root!: ReturnType<typeof hydrateRoot>;
    await act(async () => {
      root = hydrateRoot(container, app, { onRecoverableError: recoverable });
    });
    await tick(50);
    expect(recoverable).not.toHaveBeenCalled();
    expect(requests.subscribes).toBe(1);
    expect(hub.connections).toBe(1);
    expect(container.textContent).toContain('topic open with 0 events');
    expect(container.textContent).toContain('connection open');
    hubPublish(hub, topic('news'), 'first', 'n-1');
    await tick(10);
    expect(container.textContent).toContain('topic open with 1 events: first');
    act(() => root.unmount());
    await tick(10);
    expect(hub.connections).toBe(0);
    container.remove();
  });

  it('hydrates usePeerSignaling without a mismatch, then shows the random peer id and joins', async () => {
    const hub = createHub();
    function Me() {
      const { selfId, status } = usePeerSignaling('lobby', { encrypt: false });
      return (
        <p>
          [{selfId}] {status}
        </p>
      );
    }
    const app = (
      <SseProvider {...driverOptions(hub)}>
        <Me />
      </SseProvider>
    );
    const html = renderToString(app);
    expect(html).toContain('<p>[<!-- -->] <!-- -->idle</p>');
    const container = document.createElement('div');
    container.innerHTML = html;
    document.body.append(container);
    const recoverable = vi.fn();
    let root!: ReturnType<typeof hydrateRoot>;
    await act(async () => {
      root = hydrateRoot(container, app, { onRecoverableError: recoverable });
    });
    await tick(50);
    expect(recoverable).not.toHaveBeenCalled();
    expect(container.textContent).toMatch(/^\[[0-9a-f-]{36}\] joined$/);
    act(() => root.unmount());
    await tick(10);
    container.remove();
  });

  it('renders a given peer id on the server and keeps it through hydration', async () => {
    const hub = createHub();
    function Me() {
      const { selfId } = usePeerSignaling('lobby', { encrypt: false, peerId: 'ada' });
      return <p>{selfId}</p>;
    }
    const app = (
      <SseProvider {...driverOptions(hub)}>
        <Me />
      </SseProvider>
    );
    const html = renderToString(app);
    expect(html).toContain('<p>ada</p>');
    const container = document.createElement('div');
    container.innerHTML = html;
    document.body.append(container);
    const recoverable = vi.fn();
    let root!: ReturnType<typeof hydrateRoot>;
    await act(async () => {
      root = hydrateRoot(container, app, { onRecoverableError: recoverable });
    });
    await tick(50);
    expect(recoverable).not.toHaveBeenCalled();
    expect(container.textContent).toBe('ada');
    act(() => root.unmount());
    await tick(10);
    container.remove();
  });
});
