import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, fireEvent, userEvent, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from './support/play.js';
import { TopicFeed } from '../src/ui/index.js';
import { usePublisherLoop, useSeed, useStoryClient } from './support/helpers.js';

const TOPIC = 'https://example.com/feed';

const SEED = [
  { level: 'info', text: 'Deploy started' },
  { level: 'info', text: 'Build 4821 passed' },
  { level: 'warn', text: 'Cache miss rate above 20%' },
  'plain text payloads are shown as they are',
  { level: 'info', text: 'Deploy finished in 42 s' },
];

function Seeded(props: React.ComponentProps<typeof TopicFeed>) {
  useSeed(TOPIC, SEED);
  return <TopicFeed {...props} />;
}

function Streaming({ interval, ...props }: React.ComponentProps<typeof TopicFeed> & { interval: number }) {
  usePublisherLoop(TOPIC, interval, (n) => ({ n, text: `event #${n}` }));
  return <TopicFeed {...props} />;
}

/**
 * The events of a topic, newest last, with arrival times. Auto-scroll pauses while you scroll up and a
 * "new events" button brings you back. Bounded by the `buffer` option of `useTopic`.
 */
const meta = {
  title: 'Components/TopicFeed',
  component: TopicFeed,
  args: { topic: TOPIC },
  render: (args) => <TopicFeed {...args} />,
} satisfies Meta<typeof TopicFeed>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Connected, nothing published yet. */
export const Empty: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(canvas.getByRole('log', { name: `Events on ${TOPIC}` })).toHaveTextContent('No events yet.');
  },
};

/** A few events published by another client. */
export const Open: Story = {
  render: (args) => <Seeded {...args} />,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const log = canvas.getByRole('log');
    await waitFor(() => expect(within(log).getAllByRole('listitem')).toHaveLength(SEED.length), EVENTUALLY);
    await expect(log).toHaveTextContent('Deploy finished in 42 s');
  },
};

/** Twenty events a second into a buffer of 200: the feed stays smooth and bounded. */
export const Busy: Story = {
  args: { options: { buffer: 200 } },
  render: (args) => <Streaming interval={50} {...args} />,
  play: async ({ canvasElement }) => {
    const log = within(canvasElement).getByRole('log');
    await waitFor(() => expect(within(log).getAllByRole('listitem').length).toBeGreaterThan(5), EVENTUALLY);
  },
};

/** A feed filled with `count` events, and a button publishing three more from another client. */
function Paused({ count, ...props }: React.ComponentProps<typeof TopicFeed> & { count: number }) {
  const client = useStoryClient();
  const [fill] = useState(() => Array.from({ length: count }, (_, i) => ({ n: i + 1, text: `event #${i + 1}` })));
  useSeed(TOPIC, fill);
  const more = async () => {
    for (let i = 1; i <= 3; i++) await client.publish(TOPIC, { n: count + i, text: `event #${count + i}` }).catch(() => undefined);
  };
  return (
    <div className="sb-stack">
      <div className="sb-row">
        <button type="button" onClick={() => void more()}>
          Publish 3 more
        </button>
      </div>
      <TopicFeed {...props} />
    </div>
  );
}

/**
 * Scrolled up while events arrive: auto-scroll is paused and a button counts the new events. Press it to
 * jump back to the newest.
 */
export const PausedAutoScroll: Story = {
  render: (args) => <Paused count={30} {...args} />,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const log = canvas.getByRole('log');
    await waitFor(() => expect(within(log).getAllByRole('listitem')).toHaveLength(30), EVENTUALLY);
    log.scrollTop = 0;
    fireEvent.scroll(log);
    await userEvent.click(canvas.getByRole('button', { name: 'Publish 3 more' }));
    await canvas.findByRole('button', { name: '3 new events' }, EVENTUALLY);
    await expect(log.parentElement).toHaveAttribute('data-paused');
  },
};

/** Press the "new events" button: the feed jumps to the newest event and auto-scroll resumes. */
export const JumpToLatest: Story = {
  render: (args) => <Paused count={30} {...args} />,
  play: async (context) => {
    await PausedAutoScroll.play?.(context);
    const canvas = within(context.canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: '3 new events' }));
    await expect(canvas.queryByRole('button', { name: /new event/ })).not.toBeInTheDocument();
    await expect(canvas.getByRole('log')).toHaveFocus();
  },
};

/** Waiting for the hub's first answer. */
export const Connecting: Story = {
  parameters: { sseKit: { scenario: 'connecting' } },
  args: { emptyMessage: 'Connecting to the hub…' },
};

/** The hub answers 503 every time; the feed keeps what it had and shows the error. */
export const Reconnecting: Story = {
  parameters: { sseKit: { scenario: 'reconnecting' } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await canvas.findByRole('alert', {}, EVENTUALLY);
  },
};

/** The hub rejected the subscriber (401). */
export const Unauthorized: Story = {
  parameters: { sseKit: { scenario: 'unauthorized' } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(await canvas.findByRole('alert', {}, EVENTUALLY)).toHaveTextContent(/401/);
  },
};

/** Custom rendering of each event, and the topic shown for a feed over several topics. */
export const CustomRender: Story = {
  args: {
    showTopic: true,
    label: 'Deploy log',
    renderEvent: (event) => {
      const data = event.data as { level?: string; text?: string } | string;
      return typeof data === 'string' ? data : `${(data.level ?? 'info').toUpperCase()} — ${data.text ?? ''}`;
    },
  },
  render: (args) => <Seeded {...args} />,
};
