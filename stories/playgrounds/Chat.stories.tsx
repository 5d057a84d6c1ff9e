import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from '../support/play.js';
import { SseProvider } from '../../src/react/index.js';
import { ConnectionStatus, PublishForm, TopicFeed } from '../../src/ui/index.js';
import { useStoryHub } from '../support/storyHub.js';

const ROOM = 'https://example.com/chat/lobby';

/** What the chat publishes: `TopicFeed` shows `author` with an avatar and `text` by default. */
interface ChatMessage {
  author: string;
  text: string;
}

function ChatUser({ name }: { name: string }) {
  const { driverOptions } = useStoryHub();
  const [options] = useState(driverOptions);
  return (
    <SseProvider {...options}>
      <section className="sb-panel" aria-label={`${name}'s window`}>
        <div className="sb-panel__head">
          <h2 className="sb-panel__title">{name}</h2>
          <ConnectionStatus />
        </div>
        <TopicFeed topic={ROOM} label={`Messages seen by ${name}`} emptyMessage="Say hello." />
        <PublishForm
          topic={ROOM}
          label={`Message as ${name}`}
          placeholder="Type a message and press Enter"
          queue
          toData={(text): ChatMessage => ({ author: name, text: String(text) })}
        />
      </section>
    </SseProvider>
  );
}

function Chat() {
  return (
    <div className="sb-columns">
      <ChatUser name="Ada" />
      <ChatUser name="Bob" />
    </div>
  );
}

/**
 * Two users, each with their own `SseProvider` (their own connection), on one hub. What one sends appears
 * on the other side; your own messages are highlighted. Use "Drop connection" to see both resume.
 */
const meta = {
  title: 'Playgrounds/Chat',
  component: Chat,
  parameters: { sseKit: { provider: false }, layout: 'fullscreen' },
} satisfies Meta<typeof Chat>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Ada says hello, Bob answers. */
export const TwoUsers: Story = {
  play: async ({ canvasElement, step }) => {
    const canvas = within(canvasElement);
    const ada = within(canvas.getByRole('region', { name: "Ada's window" }));
    const bob = within(canvas.getByRole('region', { name: "Bob's window" }));
    await waitFor(() => expect(ada.getByRole('button', { name: /connected/i })).toBeInTheDocument(), EVENTUALLY);
    await waitFor(() => expect(bob.getByRole('button', { name: /connected/i })).toBeInTheDocument(), EVENTUALLY);
    await step('Ada sends a message', async () => {
      await userEvent.type(ada.getByRole('textbox', { name: 'Message as Ada' }), 'Hi Bob! Is the deploy done?{Enter}');
      await waitFor(() => expect(bob.getByRole('log')).toHaveTextContent('Hi Bob! Is the deploy done?'), EVENTUALLY);
    });
    await step('Bob answers', async () => {
      await userEvent.type(bob.getByRole('textbox', { name: 'Message as Bob' }), 'Yes, 42 seconds, all green.{Enter}');
      await waitFor(() => expect(ada.getByRole('log')).toHaveTextContent('Yes, 42 seconds, all green.'), EVENTUALLY);
    });
  },
};
