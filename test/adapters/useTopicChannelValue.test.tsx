// @vitest-environment jsdom
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { StrictMode, act, useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { MockChannelServer } from '../../src/mock/index.js';
import { SseProvider, useTopic } from '../../src/react/index.js';
import { channels } from '../../src/core/protocols/channels.js';

function Channel({ name }: { name: string }) {
  const { last, events } = useTopic<string>(name, { raw: true, parse: 'text' });
  return <p data-testid={name}>{`${last?.data ?? ''}|${events.length}`}</p>;
}

afterEach(() => cleanup());

describe("useTopic on a channel server: every component shows the channel's current value", () => {
  it('a second component on a channel another one already holds shows its value at once, and the next change with the first', async () => {
    const server = new MockChannelServer();
    server.fire([{ channelName: 'channel1', type: 'message', payload: 'v1' }]);
    let showSecond = (): void => {};
    function App() {
      const [second, setSecond] = useState(false);
      showSecond = () => setSecond(true);
      return (
        <>
          <Channel name="channel1" />
          {second && (
            <section>
              <Channel name="channel1" />
            </section>
          )}
        </>
      );
    }
    // StrictMode mounts each subscription twice: the one that left gets nothing, the other one value.
    render(
      <StrictMode>
        <SseProvider url={server.url} server={channels} fetch={server.fetch} tabs={false} platform={{ events: undefined }}>
          <App />
        </SseProvider>
      </StrictMode>,
    );
    await waitFor(() => expect(screen.getByTestId('channel1').textContent).toBe('v1|1'));
    act(() => showSecond());
    await waitFor(() => expect(screen.getAllByTestId('channel1').map((p) => p.textContent)).toEqual(['v1|1', 'v1|1']));
    server.fire([{ channelName: 'channel1', type: 'message', payload: 'v2' }]);
    await waitFor(() => expect(screen.getAllByTestId('channel1').map((p) => p.textContent)).toEqual(['v2|2', 'v2|2']));
    expect(server.connections).toBe(1);
  });
});
