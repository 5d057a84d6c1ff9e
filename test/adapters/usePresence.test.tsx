// @vitest-environment jsdom
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { MockChannelServer, MockHub } from '../../src/mock/index.js';
import { SseProvider, usePresence, useTopic } from '../../src/react/index.js';
import type { SseDriverOptions } from '../../src/core/types.js';
import { v1Claims } from '../hub/helpers.js';
import { channels } from '../../src/core/protocols/channels.js';

function Online({ topic }: { topic: string }) {
  const { members, ready, error } = usePresence(topic);
  return (
    <p data-testid="online" data-ready={String(ready)}>
      {error ? error.code : members.map((m) => m.id).sort().join(',')}
    </p>
  );
}

/** A room: its messages and who is in it, as one component shows them. */
function Room({ topic }: { topic: string }) {
  const { events } = useTopic<string>(topic);
  const { members, ready } = usePresence(topic);
  return (
    <p data-testid="room" data-ready={String(ready)}>
      {`${events.map((e) => e.data).join(',')}|${members.length}`}
    </p>
  );
}

afterEach(() => cleanup());

/** usePresence: one hook and one return shape over Mercure hubs and channel servers. */
describe('usePresence', () => {
  it('on a channel server: the connected client ids', async () => {
    const server = new MockChannelServer();
    const options = (clientId: string): SseDriverOptions => ({ url: server.url, server: channels(), fetch: server.fetch, clientId, platform: { events: undefined } });
    render(
      <>
        <SseProvider {...options('ada')}>
          <Online topic="lobby" />
        </SseProvider>
        <SseProvider {...options('bob')}>
          <Online topic="lobby" />
        </SseProvider>
      </>,
    );
    await waitFor(() => expect(screen.getAllByTestId('online').map((p) => p.textContent)).toEqual(['ada,bob', 'ada,bob']));
  });

  it('on a channel server: a second usePresence mounted while the stream is open shows the members at once', async () => {
    const server = new MockChannelServer();
    const app = (both: boolean) => (
      <SseProvider url={server.url} server={channels()} fetch={server.fetch} clientId="ada" platform={{ events: undefined }}>
        <Online topic="lobby" />
        {both && <Online topic="lobby" />}
      </SseProvider>
    );
    const { rerender } = render(app(false));
    await waitFor(() => expect(screen.getByTestId('online').textContent).toBe('ada'));
    rerender(app(true));
    // Nobody joins or leaves: the server sends no presence event for it.
    await waitFor(() => expect(screen.getAllByTestId('online').map((p) => `${p.dataset['ready']}:${p.textContent}`)).toEqual(['true:ada', 'true:ada']));
    expect(server.connections).toBe(1);
  });

  it('on a Mercure hub: the subscribers of the topic, the same shape', async () => {
    const hub = new MockHub({ subscriptions: true, heartbeat: 0 });
    // Subscription events are private: the token must grant the subscriptions topics (a hub without keys reads it unverified).
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const headers = { Authorization: `Bearer ${b64({ alg: 'HS256' })}.${b64(v1Claims([{ actions: ['subscribe'], topics: ['*'] }]))}.unsigned` };
    const options: SseDriverOptions = { url: hub.url, fetch: hub.fetch, headers, platform: { events: undefined } };
    render(
      <>
        <SseProvider {...options}>
          <Online topic="https://example.com/rooms/1" />
        </SseProvider>
        <SseProvider {...options}>
          <Online topic="https://example.com/rooms/1" />
        </SseProvider>
      </>,
    );
    await waitFor(() => expect(screen.getAllByTestId('online').map((p) => p.textContent?.split(',').length)).toEqual([2, 2]));
    expect(screen.getAllByTestId('online').map((p) => p.dataset['ready'])).toEqual(['true', 'true']);
  });

  it.each(['v1', 'legacy'] as const)('on a Mercure hub (%s wire): a room with presence holds one connection', async (protocol) => {
    const hub = new MockHub({ subscriptions: true, heartbeat: 0 });
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const headers = { Authorization: `Bearer ${b64({ alg: 'HS256' })}.${b64(v1Claims([{ actions: ['subscribe', 'publish'], topics: ['*'] }]))}.unsigned` };
    const options: SseDriverOptions = { url: hub.url, fetch: hub.fetch, headers, protocol, platform: { events: undefined } };
    render(
      <SseProvider {...options}>
        <Room topic="https://example.com/rooms/1" />
      </SseProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('room').dataset['ready']).toBe('true'));
    expect(hub.connections).toBe(1);
    await waitFor(() => expect(screen.getByTestId('room').textContent).toBe('|1'));
    hub.publish({ topic: 'https://example.com/rooms/1', data: JSON.stringify({ 'sse-kit': 1, id: 'm1', topic: 'https://example.com/rooms/1', sender: 'x', payload: 'hi' }) });
    await waitFor(() => expect(screen.getByTestId('room').textContent).toBe('hi|1'));
    expect(hub.connections).toBe(1);
  });

  it('on a channel server: a room with presence holds one connection', async () => {
    const server = new MockChannelServer();
    render(
      <SseProvider url={server.url} server={channels()} fetch={server.fetch} clientId="ada" platform={{ events: undefined }}>
        <Room topic="lobby" />
      </SseProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('room').textContent).toBe('|1'));
    expect(server.connections).toBe(1);
  });
});
