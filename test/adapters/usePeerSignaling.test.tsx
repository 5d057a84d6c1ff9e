// @vitest-environment jsdom
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/core/types.js';
import { MockChannelServer } from '../../src/mock/index.js';
import { SseProvider, usePeerSignaling } from '../../src/react/index.js';
import { channels } from '../../src/core/protocols/channels.js';

function Member({ name }: { name: string }) {
  const [got, setGot] = useState<string[]>([]);
  const room = usePeerSignaling('lobby', {
    peerId: name,
    metadata: { name },
    encrypt: false,
    platform: { events: undefined },
    onSignal: (signal) => setGot((list) => [...list, `${signal.from}: ${String(signal.data as JsonValue)}`]),
  });
  const first = room.peers[0];
  return (
    <section aria-label={name}>
      <ul aria-label="peers">
        {room.peers.map((p) => (
          <li key={p.id}>{p.id}</li>
        ))}
      </ul>
      <ul aria-label="signals">
        {got.map((text) => (
          <li key={text}>{text}</li>
        ))}
      </ul>
      <button type="button" onClick={() => void (first && room.send(first.id, `hello from ${name}`))}>
        send
      </button>
    </section>
  );
}

afterEach(() => cleanup());

/** Two usePeerSignaling users on an in-memory seed-002-shaped channel server. */
describe('usePeerSignaling over the channels adapter', () => {
  it('two users see each other and exchange signals', async () => {
    const server = new MockChannelServer();
    const provider = (name: string) => (
      <SseProvider url={server.url} server={channels} fetch={server.fetch} platform={{ events: undefined }}>
        <Member name={name} />
      </SseProvider>
    );
    render(
      <>
        {provider('ada')}
        {provider('bob')}
      </>,
    );
    const ada = within(screen.getByRole('region', { name: 'ada' }));
    const bob = within(screen.getByRole('region', { name: 'bob' }));
    await waitFor(() => expect(ada.getByRole('list', { name: 'peers' }).textContent).toContain('bob'));
    await waitFor(() => expect(bob.getByRole('list', { name: 'peers' }).textContent).toContain('ada'));
    ada.getByRole('button', { name: 'send' }).click();
    await waitFor(() => expect(bob.getByRole('list', { name: 'signals' }).textContent).toContain('ada: hello from ada'));
    bob.getByRole('button', { name: 'send' }).click();
    await waitFor(() => expect(ada.getByRole('list', { name: 'signals' }).textContent).toContain('bob: hello from bob'));
  });
});
