import { act, waitFor } from '@testing-library/react';
import { hydrateRoot, type Root } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/index.js';
import { MockHub } from '../../src/mock/index.js';
import { SseProvider } from '../../src/react/index.js';
import { ConnectionStatus, HubInspector, PeerList, PublishForm, TopicFeed } from '../../src/ui/index.js';

const TOPIC = 'https://example.com/a';

function Page({ driver }: { driver: SseDriver }) {
  return (
    <SseProvider driver={driver}>
      <ConnectionStatus />
      <TopicFeed topic={TOPIC} />
      <PublishForm topic={TOPIC} modeSwitch />
      <PeerList peers={[{ id: 'peer-1', metadata: { name: 'Ada' } }]} selfId="me" status="joining" />
      <HubInspector />
    </SseProvider>
  );
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

describe('sse-kit/ui hydration', () => {
  it('hydrates the server HTML of every component without a mismatch, then goes live', async () => {
    const hub = new MockHub();
    const serverDriver = new SseDriver({ url: hub.url, fetch: () => Promise.reject(new Error('no network on the server')) });
    const html = renderToString(<Page driver={serverDriver} />);
    serverDriver.destroy();
    const container = document.createElement('div');
    container.innerHTML = html;
    document.body.append(container);
    const problems: unknown[] = [];
    const consoleError = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => problems.push(args));
    const driver = new SseDriver({ url: hub.url, fetch: hub.fetch });
    let root: Root | undefined;
    cleanups.push(() => {
      act(() => root?.unmount());
      container.remove();
      driver.destroy();
      hub.close();
      consoleError.mockRestore();
    });
    await act(async () => {
      root = hydrateRoot(container, <Page driver={driver} />, { onRecoverableError: (error) => problems.push(error) });
    });
    await hub.waitForConnections(1);
    await waitFor(() => expect(container.querySelector('.sse-status')?.getAttribute('data-state')).toBe('open'));
    expect(problems).toEqual([]);
    expect(container.querySelector('.sse-feed__empty')?.textContent).toBe('No messages yet.');
  });
});
