import type { Meta, StoryObj } from '@storybook/react-vite';
import { useEffect, useState } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from '../support/play.js';
import { MockTokenStreamServer } from '../../src/mock/index.js';
import { SseProvider, usePublish, useTopic } from '../../src/react/index.js';
import { ConnectionStatus } from '../../src/ui/index.js';
import { tokenStream } from '../../src/index.js';

function Feed({ server }: { server: MockTokenStreamServer }) {
  const { events, status } = useTopic<string>('message', { raw: true, parse: 'text' });
  const { publish, error } = usePublish<string>('message');
  const [sent, setSent] = useState(0);
  return (
    <section className="sb-panel" aria-label="Token stream">
      <div className="sb-panel__head">
        <h2 className="sb-panel__title">alex on chat</h2>
        <ConnectionStatus />
      </div>
      <p data-testid="status">status: {status}</p>
      <ul aria-label="Messages">
        {events.map((e, i) => (
          <li key={i}>{e.data}</li>
        ))}
      </ul>
      <button
        type="button"
        onClick={() => {
          setSent(sent + 1);
          server.emit('alex', 'chat', `event: message\ndata: back-end message ${sent + 1}\n`);
        }}
      >
        Emit from the back end
      </button>
      <button type="button" onClick={() => publish('from the browser')}>
        Publish from the browser
      </button>
      <p role="status" aria-label="Publish outcome">{error ? `${error.code}: ${error.hint ?? error.message}` : 'no publish error'}</p>
    </section>
  );
}

/** A JWT channel stream (seed 001's shape) in memory: the token is issued by the back end first. */
function TokenStreamDemo() {
  const [server] = useState(() => new MockTokenStreamServer());
  const [token, setToken] = useState<string>();
  useEffect(() => {
    void server.issueToken('alex', 'chat', 3600).then(setToken);
  }, [server]);
  if (token === undefined) return <p>Issuing a token…</p>;
  return (
    <SseProvider url={server.url} server={tokenStream} fetch={server.fetch} headers={{ Authorization: `Bearer ${token}` }}>
      <Feed server={server} />
    </SseProvider>
  );
}

/**
 * `server: tokenStream` reads a JWT channel stream: the Bearer token picks the channel, a
 * `headers` function refreshes it at every reconnect. The server sends its headers with its first
 * event, so the status turns `open` once the request stands unrefused; it sends no heartbeats, so
 * no watchdog restarts a quiet stream; clients cannot publish: `publish` fails at once with
 * `unsupported`.
 */
const meta = {
  title: 'Adapters/Token stream',
  component: TokenStreamDemo,
  parameters: { sseKit: { provider: false, controls: false } },
} satisfies Meta<typeof TokenStreamDemo>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Open before any event; a back-end message arrives; a browser publish is refused. */
export const BackEndPublishes: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByTestId('status')).toHaveTextContent('status: open'), EVENTUALLY);
    await userEvent.click(canvas.getByRole('button', { name: 'Emit from the back end' }));
    await waitFor(() => expect(canvas.getByRole('list', { name: 'Messages' })).toHaveTextContent('back-end message 1'), EVENTUALLY);
    await userEvent.click(canvas.getByRole('button', { name: 'Publish from the browser' }));
    await waitFor(() => expect(canvas.getByRole('status', { name: 'Publish outcome' })).toHaveTextContent('unsupported'), EVENTUALLY);
  },
};
