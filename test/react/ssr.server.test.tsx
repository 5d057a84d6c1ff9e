// @vitest-environment node
import { renderToString } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { SseProvider, useConnectionStatus, useTopic } from '../../src/react/index.js';

function Page() {
  const { status, events } = useTopic('https://example.com/a');
  const connection = useConnectionStatus();
  return (
    <p>
      {status}/{connection.status}/{events.length}
    </p>
  );
}

describe('server rendering in Node', () => {
  it('imports and renders without window, and never calls fetch', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    const fetch = vi.fn(() => Promise.reject(new Error('no network on the server')));
    const html = renderToString(
      <SseProvider url="https://hub.example/.well-known/mercure" fetch={fetch}>
        <Page />
      </SseProvider>,
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(html).toBe('<p>idle<!-- -->/<!-- -->idle<!-- -->/<!-- -->0</p>');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('leaves no timer behind (nothing keeps the server process alive)', () => {
    vi.useFakeTimers();
    try {
      for (let i = 0; i < 3; i++) {
        renderToString(
          <SseProvider url="https://hub.example/.well-known/mercure">
            <Page />
          </SseProvider>,
        );
      }
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
