import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from '../support/play.js';
import { MockChannelServer } from '../../src/mock/index.js';
import { SseProvider, usePresence } from '../../src/react/index.js';
import { ConnectionStatus, PublishForm, TopicFeed } from '../../src/ui/index.js';
import { channels } from '../../src/index.js';

const CHANNEL = 'lobby';

function Presence() {
  const { members, ready } = usePresence(CHANNEL);
  return (
    <p aria-label="Online" data-state={ready ? 'ready' : 'loading'}>
      Online: {members.map((m) => m.id).join(', ') || '—'}
    </p>
  );
}

function User({ name, server }: { name: string; server: MockChannelServer }) {
  return (
    <SseProvider url={server.url} server={channels} fetch={server.fetch} clientId={name}>
      <section className="sb-panel" aria-label={`${name}'s window`}>
        <div className="sb-panel__head">
          <h2 className="sb-panel__title">{name}</h2>
          <ConnectionStatus />
        </div>
        <Presence />
        <TopicFeed topic={CHANNEL} label={`Channel seen by ${name}`} emptyMessage="Nothing yet." />
        <PublishForm topic={CHANNEL} label={`Message as ${name}`} placeholder="Type and press Enter" toData={(text) => ({ author: name, text: String(text) })} />
      </section>
    </SseProvider>
  );
}

/** Two users on an in-memory channel server (seed 002's shape), each with its own provider. */
function ChannelServerDemo() {
  const [server] = useState(() => new MockChannelServer());
  return (
    <div className="sb-columns">
      <User name="ada" server={server} />
      <User name="bob" server={server} />
    </div>
  );
}

/**
 * `server: channels` speaks to channel pub/sub servers: topics are channel names
 * (`GET /subscribe/?channels=…&clientId=…`), publishes go as the JSON batch to `/publish`, and
 * `usePresence` reads the server's `online-presence` stream. The server keeps no ids and no history:
 * a channel added later switches break-before-make (no duplicates) and a reconnect reports a `gap`.
 */
const meta = {
  title: 'Adapters/Channel server',
  component: ChannelServerDemo,
  parameters: { sseKit: { provider: false, controls: false }, layout: 'fullscreen' },
} satisfies Meta<typeof ChannelServerDemo>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Both users are online; Ada's message reaches Bob through the channel server. */
export const TwoUsers: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const ada = within(canvas.getByRole('region', { name: "ada's window" }));
    const bob = within(canvas.getByRole('region', { name: "bob's window" }));
    await waitFor(() => expect(ada.getByLabelText('Online')).toHaveTextContent('Online: ada, bob'), EVENTUALLY);
    await userEvent.type(ada.getByRole('textbox', { name: 'Message as ada' }), 'hello over channels{Enter}');
    await waitFor(() => expect(bob.getByRole('log')).toHaveTextContent('hello over channels'), EVENTUALLY);
  },
};
