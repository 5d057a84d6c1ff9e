import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from './support/play.js';
import { useTopic } from '../src/react/index.js';
import { HubInspector } from '../src/ui/index.js';
import { Subscribe, usePublisherLoop } from './support/helpers.js';

const ORDERS = 'https://example.com/orders';

function Traffic({ interval }: { interval: number }) {
  usePublisherLoop('https://example.com/prices/ACME', interval, (n) => ({ symbol: 'ACME', price: 100 + Math.sin(n / 5) * 3 }));
  useTopic({ pattern: 'https://example.com/prices/:symbol' });
  useTopic(ORDERS, { type: 'order' });
  // A second hook on the same topic: one row in the table, counted twice.
  useTopic(ORDERS, { type: 'order' });
  return null;
}

/**
 * A devtools-style panel: live subscriptions and their matchers, the connection timeline (opens, drops,
 * resumes, gaps), the last event id, the event rate and recent errors.
 */
const meta = {
  title: 'Components/HubInspector',
  component: HubInspector,
  render: (args) => (
    <>
      <Traffic interval={250} />
      <HubInspector {...args} />
    </>
  ),
} satisfies Meta<typeof HubInspector>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Two distinct subscriptions (three hooks) on one connection and a publisher sending four updates a second. */
export const Live: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await canvas.findByRole('heading', { name: 'Subscriptions (2)' }, EVENTUALLY);
    await waitFor(() => expect(canvas.getByRole('region', { name: 'Subscriptions (2)' })).toHaveTextContent('https://example.com/orders'), EVENTUALLY);
    await waitFor(() => expect(canvas.getByRole('list', { name: 'Connection timeline' })).toHaveTextContent(/open/), EVENTUALLY);
  },
};

/** Press "Drop connection": the timeline shows the drop and the resume from the last event id. */
export const DropAndResume: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const timeline = await canvas.findByRole('list', { name: 'Connection timeline' }, EVENTUALLY);
    await waitFor(() => expect(timeline).toHaveTextContent(/stream open/), EVENTUALLY);
    await waitFor(() => expect(canvas.getByText('Last event id').nextElementSibling).not.toHaveTextContent('none'), EVENTUALLY);
    await userEvent.click(canvas.getByRole('button', { name: 'Drop connection' }));
    await waitFor(() => expect(timeline).toHaveTextContent(/resumed from/), EVENTUALLY);
  },
};

/** The hub answers 503: the timeline and the error list fill up while the driver retries. */
export const Reconnecting: Story = {
  parameters: { sseKit: { scenario: 'reconnecting' } },
  render: (args) => (
    <>
      <Subscribe topic={ORDERS} />
      <HubInspector {...args} />
    </>
  ),
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await canvas.findByRole('heading', { name: /Recent errors \([1-9]/ }, EVENTUALLY);
  },
};

/** The hub rejected the subscriber (401). */
export const Unauthorized: Story = {
  parameters: { sseKit: { scenario: 'unauthorized' } },
  render: (args) => (
    <>
      <Subscribe topic={ORDERS} />
      <HubInspector {...args} />
    </>
  ),
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const errors = await canvas.findByRole('list', { name: /Recent errors/ }, EVENTUALLY);
    await expect(errors).toHaveTextContent('unauthorized');
  },
};

/** Nothing subscribed: the driver stays idle. */
export const Empty: Story = {
  render: (args) => <HubInspector {...args} />,
};

/** Events at a higher rate (twenty a second). */
export const Busy: Story = {
  render: (args) => (
    <>
      <Traffic interval={50} />
      <HubInspector {...args} />
    </>
  ),
};


/**
 * Tabs share one connection (a later cross-tab feature): pass the tab's role and the number of tabs with
 * `tabs`, and the panel shows them next to its title.
 */
export const SharedTabs: Story = {
  args: { tabs: { role: 'leader', count: 3 } },
  play: async ({ canvasElement }) => {
    await expect(within(canvasElement).getByText('Leader tab · 3 tabs')).toBeInTheDocument();
  },
};

/** A follower tab receives through the leader. */
export const FollowerTab: Story = {
  args: { tabs: { role: 'follower', count: 3 } },
};

/** The hub is served over HTTP/1.1: browsers open at most six connections per origin, so the panel warns. */
export const Http11: Story = {
  args: { httpVersion: 'http/1.1' },
  play: async ({ canvasElement }) => {
    await expect(within(canvasElement).getByText(/six connections per origin/)).toBeInTheDocument();
  },
};
