// @vitest-environment node
import { renderToString } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { SseProvider } from '../../src/react/index.js';
import { ConnectionStatus, HubInspector, PeerList, PublishForm, TopicFeed } from '../../src/ui/index.js';

const TOPIC = 'https://example.com/a';

function Page() {
  return (
    <SseProvider url="https://hub.example/.well-known/mercure" fetch={() => Promise.reject(new Error('no network on the server'))}>
      <ConnectionStatus />
      <TopicFeed topic={TOPIC} />
      <PublishForm topic={TOPIC} modeSwitch />
      <PeerList peers={[{ id: 'peer-1', metadata: { name: 'Ada' }, lastSeen: 0 }]} selfId="me" status="joining" />
      <HubInspector />
    </SseProvider>
  );
}

describe('sse-kit/ui on the server', () => {
  it('renders every component without window or document, and leaves no timer behind', () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    expect(typeof (globalThis as { document?: unknown }).document).toBe('undefined');
    vi.useFakeTimers();
    try {
      const html = renderToString(<Page />);
      for (const name of ['sse-status', 'sse-feed', 'sse-publish', 'sse-peers', 'sse-inspector']) expect(html).toContain(`class="${name}`);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
