import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from '../support/play.js';
import { MockSseEndpoint } from '../../src/mock/index.js';
import { SseProvider, useTopic } from '../../src/react/index.js';
import { ConnectionStatus } from '../../src/ui/index.js';
import { sse } from '../../src/index.js';

function Clock() {
  const { last } = useTopic<string>('currentTime', { raw: true, parse: 'text' });
  const { events } = useTopic<string>('message', { raw: true, parse: 'text' });
  return (
    <dl className="sb-metrics" aria-label="Plain endpoint">
      <div className="sb-metric">
        <dt>message</dt>
        <dd data-testid="message">{events.map((e) => e.data).join(' | ') || '—'}</dd>
      </div>
      <div className="sb-metric">
        <dt>currentTime</dt>
        <dd data-testid="time">{last?.data ?? '—'}</dd>
      </div>
    </dl>
  );
}

/** A plain SSE endpoint (seed 003's shape) in memory; the button plays the server's timer. */
function PlainSseDemo() {
  const [server] = useState(() => new MockSseEndpoint());
  return (
    <SseProvider url={server.url} server={sse} fetch={server.fetch}>
      <section className="sb-panel" aria-label="Plain SSE endpoint">
        <div className="sb-panel__head">
          <h2 className="sb-panel__title">GET /sse</h2>
          <ConnectionStatus />
        </div>
        <Clock />
        <button type="button" onClick={() => server.send({ event: 'currentTime', data: new Date(Date.UTC(2026, 10, 28, 9)).toUTCString() })}>
          Server sends currentTime
        </button>
      </section>
    </SseProvider>
  );
}

/**
 * `server: sse` reads any SSE endpoint: an event's topic is its event name (`useTopic('currentTime')`),
 * no header forces a CORS preflight, ids are not used to resume (the endpoint keeps no history, so a
 * reconnect reports a `gap`), and publishing needs a `publishUrl` or a `publish` function.
 */
const meta = {
  title: 'Adapters/Plain SSE endpoint',
  component: PlainSseDemo,
  parameters: { sseKit: { provider: false, controls: false } },
} satisfies Meta<typeof PlainSseDemo>;

export default meta;
type Story = StoryObj<typeof meta>;

/** The greeting arrives as `message`; a named `currentTime` event reaches its own subscription. */
export const NamedEvents: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByTestId('message')).toHaveTextContent('hello from steam'), EVENTUALLY);
    await userEvent.click(canvas.getByRole('button', { name: 'Server sends currentTime' }));
    await waitFor(() => expect(canvas.getByTestId('time')).toHaveTextContent('Sat, 28 Nov 2026 09:00:00 GMT'), EVENTUALLY);
  },
};
