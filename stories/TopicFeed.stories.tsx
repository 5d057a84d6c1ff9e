import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fireEvent, userEvent, waitFor, within } from 'storybook/test';
import { TopicFeed } from '../src/ui/index.js';
import { usePublisherLoop, useSeed } from './support/helpers.js';

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
    await waitFor(() => expect(within(log).getAllByRole('listitem')).toHaveLength(SEED.length), { timeout: 3000 });
    await expect(log).toHaveTextContent('Deploy finished in 42 s');
  },
};

/** Twenty events a second into a buffer of 200: the feed stays smooth and bounded. */
export const Busy: Story = {
  args: { options: { buffer: 200 } },
  render: (args) => <Streaming interval={50} {...args} />,
  play: async ({ canvasElement }) => {
    const log = within(canvasElement).getByRole('log');
    await waitFor(() => expect(within(log).getAllByRole('listitem').length).toBeGreaterThan(5), { timeout: 3000 });
  },
};

/**
 * Scroll up while events arrive: auto-scroll pauses and a button counts the new events. Press it to jump
 * back to the newest.
 */
export const PausedAutoScroll: Story = {
  args: { options: { buffer: 500 } },
  render: (args) => <Streaming interval={150} {...args} />,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const log = canvas.getByRole('log');
    await waitFor(() => expect(log.scrollHeight).toBeGreaterThan(log.clientHeight + 40), { timeout: 8000 });
    log.scrollTop = 0;
    fireEvent.scroll(log);
    const jump = await canvas.findByRole('button', { name: /new event/ }, { timeout: 4000 });
    await userEvent.click(jump);
    await expect(canvas.queryByRole('button', { name: /new event/ })).not.toBeInTheDocument();
    await expect(log).toHaveFocus();
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
    await canvas.findByRole('alert', {}, { timeout: 3000 });
  },
};

/** The hub rejected the subscriber (401). */
export const Unauthorized: Story = {
  parameters: { sseKit: { scenario: 'unauthorized' } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(await canvas.findByRole('alert', {}, { timeout: 3000 })).toHaveTextContent(/401/);
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
