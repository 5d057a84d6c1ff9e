import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, fireEvent, userEvent, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from './support/play.js';
import { TopicFeed } from '../src/ui/index.js';
import { usePublisherLoop, useSeed, useStoryClient } from './support/helpers.js';
import { storyMockHub, useStoryHub } from './support/storyHub.js';

const TOPIC = 'https://example.com/feed';
const MINUTE = 60_000;

/** Messages with the minutes ago (on the story clock) they were sent; the build report has no time of its own. */
const SEED = [
  { ago: 961, author: 'Grace Hopper', text: 'Deploy 4821 goes out tomorrow morning. I will keep an eye on the cache.' },
  { ago: 99, author: 'Ada Lovelace', text: 'Morning! Deploy 4821 is rolling out to the canary.' },
  { ago: 97, author: 'Ada Lovelace', text: 'Error rate is flat so far.' },
  { ago: 26, author: 'Grace Hopper', text: 'Nice. The cache miss rate went above 20% for a minute, back to normal now.' },
  { ago: 2, author: 'Linus', text: 'Dashboard for the rollout: https://grafana.example.com/d/a1b2c3/production-overview?orgId=1&from=now-6h&to=now&var-cluster=eu-west-1' },
  { ago: 1, author: 'Ada Lovelace', text: 'Rollout finished in 42 s, all green.' },
  { build: 4821, status: 'passed', durationMs: 42_000 },
];

const LOG = [
  { ago: 45, level: 'info', text: 'Deploy started' },
  { ago: 44, level: 'info', text: 'Build 4821 passed' },
  { ago: 12, level: 'warn', text: 'Cache miss rate above 20%' },
  'plain text payloads are shown as they are',
  { ago: 0, level: 'info', text: 'Deploy finished in 42 s' },
];

/** The time a seeded message was sent: its `sentAt`, if it has one. */
const sentAt = (event: { readonly data: unknown }): number | undefined => {
  const value = (event.data as { sentAt?: unknown } | null)?.sentAt;
  return typeof value === 'number' ? value : undefined;
};

/** Publishes `items` once; an item's `ago` (minutes) becomes its `sentAt` on the story clock. */
function Seeded({ items = SEED, ...props }: React.ComponentProps<typeof TopicFeed> & { items?: readonly unknown[] }) {
  const { clock } = useStoryHub();
  const [stamped] = useState(() =>
    items.map((item) => {
      if (typeof item !== 'object' || item === null || !('ago' in item)) return item;
      const { ago, ...rest } = item as { ago: number };
      return { ...rest, sentAt: clock.now() - ago * MINUTE };
    }),
  );
  useSeed(TOPIC, stamped);
  return <TopicFeed getTime={sentAt} {...props} />;
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
    const log = within(canvasElement).getByRole('log', { name: `Events on ${TOPIC}` });
    await waitFor(() => expect(log).toHaveTextContent('No messages yet.'), EVENTUALLY);
  },
};

/**
 * Messages from other clients: an avatar in a colour per author, consecutive messages of one author under
 * one header, long URLs wrapped, and data without text shown as indented JSON. Times are relative while
 * recent ("now", "2 minutes ago"), then clock times, with the weekday for other days; `getTime` shows when a
 * message was sent (here its `sentAt`), else its arrival. Labels follow the story's clock, refreshed by one
 * shared timer without re-rendering the rows.
 */
export const Open: Story = {
  render: (args) => (
    <div className="sb-tall">
      <Seeded {...args} />
    </div>
  ),
  play: async ({ canvasElement }) => seededPlay(canvasElement),
};

/** The seeded messages arrived, grouped by author, with their times and the JSON fallback. */
async function seededPlay(canvasElement: HTMLElement): Promise<void> {
  const log = within(canvasElement).getByRole('log');
  await waitFor(() => expect(within(log).getAllByRole('listitem')).toHaveLength(SEED.length), EVENTUALLY);
  const rows = within(log).getAllByRole('listitem');
  await expect(rows[1]).not.toHaveAttribute('data-grouped');
  await expect(rows[2]).toHaveAttribute('data-grouped');
  await expect(rows[3]).not.toHaveAttribute('data-grouped');
  await expect(rows[6]?.querySelector('pre')).toHaveTextContent('"status": "passed"');
  await expect(log).toHaveTextContent('Rollout finished in 42 s, all green.');
  const times = rows.map((row) => row.querySelector('time')?.textContent);
  await expect(times.slice(3)).toEqual(['26 minutes ago', '2 minutes ago', '1 minute ago', 'now']);
}

/** The same messages in a 390 px wide column: the author column keeps its width and long text wraps. */
export const Narrow: Story = {
  render: (args) => (
    <div className="sb-narrow sb-tall">
      <Seeded {...args} />
    </div>
  ),
  play: async ({ canvasElement }) => seededPlay(canvasElement),
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

/** Waiting for the hub's first answer: the empty feed says so. */
export const Connecting: Story = {
  parameters: { sseKit: { scenario: 'connecting' } },
  play: async ({ canvasElement }) => {
    await expect(within(canvasElement).getByRole('log')).toHaveTextContent('Connecting…');
  },
};

/** The hub answers 503 every time: the empty feed says it is reconnecting, without an alarm. */
export const Reconnecting: Story = {
  parameters: { sseKit: { scenario: 'reconnecting' } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByRole('log')).toHaveTextContent('Reconnecting…'), EVENTUALLY);
    await expect(canvas.queryByRole('alert')).not.toBeInTheDocument();
  },
};

/** The hub rejected the subscriber (401): "Not authorized", with Reconnect (retries stop until then). */
export const Unauthorized: Story = {
  parameters: { sseKit: { scenario: 'unauthorized' } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(await canvas.findByRole('alert', {}, EVENTUALLY)).toHaveTextContent('Not authorized');
    await expect(canvas.getByRole('button', { name: 'Reconnect' })).toBeInTheDocument();
  },
};

/** The hub drops the stream while messages are shown: the feed resumes, and no error flashes. */
export const RecoveredDrop: Story = {
  render: (args) => <Seeded {...args} />,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const log = canvas.getByRole('log');
    const feed = log.parentElement as HTMLElement;
    await waitFor(() => expect(within(log).getAllByRole('listitem')).toHaveLength(SEED.length), EVENTUALLY);
    const seen: string[] = [];
    const watch = new MutationObserver(() => {
      if (feed.querySelector('[role="alert"]')) seen.push('alert');
    });
    watch.observe(feed, { childList: true, subtree: true });
    // The drop is known from the hub's own event, not from a brief state on screen.
    const hub = storyMockHub(canvasElement);
    let drops = 0;
    const off = hub.on('disconnect', () => drops++);
    try {
      await userEvent.click(canvas.getByRole('button', { name: 'Drop connection' }));
      await waitFor(() => expect(drops).toBeGreaterThan(0), EVENTUALLY);
    } finally {
      off();
    }
    // Reconnected, and the feed shows it.
    await waitFor(() => expect(hub.connections).toBeGreaterThan(0), EVENTUALLY);
    await waitFor(() => expect(feed).toHaveAttribute('data-state', 'open'), EVENTUALLY);
    watch.disconnect();
    await expect(seen).toEqual([]);
  },
};

/** A feed over several topics shows each event's topic; `renderEvent` renders each event its own way. */
export const CustomRender: Story = {
  args: {
    showTopic: true,
    label: 'Deploy log',
    renderEvent: (event) => {
      const data = event.data as { level?: string; text?: string } | string;
      return typeof data === 'string' ? data : `${(data.level ?? 'info').toUpperCase()} — ${data.text ?? ''}`;
    },
  },
  render: (args) => <Seeded items={LOG} {...args} />,
};
