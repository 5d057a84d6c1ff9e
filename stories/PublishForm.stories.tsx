import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from './support/play.js';
import { PublishForm, TopicFeed } from '../src/ui/index.js';

const TOPIC = 'https://example.com/notes';

/**
 * A composer for a topic: Enter sends, Shift+Enter adds a line. JSON mode validates before sending. Pending
 * and error states come from `usePublish`; while offline it is disabled unless `queue` is set. The feed on
 * the right subscribes to the same topic, so you see each message arrive.
 */
const meta = {
  title: 'Components/PublishForm',
  component: PublishForm,
  args: { topic: TOPIC },
  render: (args) => (
    <div className="sb-columns">
      <PublishForm {...args} />
      <TopicFeed topic={TOPIC} label="Published notes" />
    </div>
  ),
} satisfies Meta<typeof PublishForm>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Type and press Enter: the note appears in the feed. Shift+Enter inserts a newline. */
export const Text: Story = {
  args: { placeholder: 'Write a note…' },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const field = canvas.getByRole('textbox', { name: 'Message' });
    await userEvent.type(field, 'first line{Shift>}{Enter}{/Shift}second line');
    await expect(field).toHaveValue('first line\nsecond line');
    await userEvent.type(field, '{Enter}');
    const log = canvas.getByRole('log', { name: 'Published notes' });
    await waitFor(() => expect(log).toHaveTextContent('first line second line'), EVENTUALLY);
    await waitFor(() => expect(field).toHaveValue(''), EVENTUALLY);
  },
};

/** JSON mode: invalid JSON is reported next to the field and not sent. */
export const Json: Story = {
  args: { modeSwitch: true },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(canvas.getByRole('radio', { name: 'JSON' }));
    const field = canvas.getByRole('textbox', { name: 'Message' });
    await userEvent.click(field);
    await userEvent.paste('{"temperature": 21.5,');
    await userEvent.keyboard('{Enter}');
    const problem = await canvas.findByRole('alert', {}, EVENTUALLY);
    await expect(problem).toHaveTextContent(/Not valid JSON/);
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    await userEvent.clear(field);
    await userEvent.paste('{"temperature": 21.5}');
    await expect(canvas.queryByRole('alert')).not.toBeInTheDocument();
    await userEvent.keyboard('{Enter}');
    const log = canvas.getByRole('log', { name: 'Published notes' });
    await waitFor(() => expect(log).toHaveTextContent('"temperature": 21.5'), EVENTUALLY);
  },
};

/** The hub has not answered the publish yet: the form shows that the message is on its way. */
export const Pending: Story = {
  parameters: { sseKit: { scenario: 'publish-pending' } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvasElement.querySelector('.sse-feed')).toHaveAttribute('data-state', 'open'), EVENTUALLY);
    const field = canvas.getByRole('textbox', { name: 'Message' });
    await userEvent.type(field, 'slow hub{Enter}');
    await expect(await canvas.findByRole('button', { name: 'Sending…' }, EVENTUALLY)).toBeInTheDocument();
    await expect(canvasElement.querySelector('form')).toHaveAttribute('data-state', 'pending');
  },
};

/** The hub rejects the publish (use "Reject next publish" in the bar above): the error is shown and the text kept. */
export const PublishError: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: 'Reject next publish' }));
    const field = canvas.getByRole('textbox', { name: 'Message' });
    await userEvent.type(field, 'will be rejected{Enter}');
    await expect(await canvas.findByRole('alert', {}, EVENTUALLY)).toHaveTextContent(/Not sent/);
    await expect(field).toHaveValue('will be rejected');
  },
};

/**
 * The connection is down: sending is disabled until it is back (the button keeps focus: `aria-disabled`).
 * Pressing Enter says why nothing was sent, and keeps the text.
 */
export const Offline: Story = {
  parameters: { sseKit: { scenario: 'reconnecting' } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await canvas.findByText(/Offline: sending resumes/, {}, EVENTUALLY);
    const field = canvas.getByRole('textbox', { name: 'Message' });
    await userEvent.type(field, 'not now');
    await expect(canvas.getByRole('button', { name: 'Send' })).toHaveAttribute('aria-disabled', 'true');
    await expect(canvasElement.querySelector('form')).toHaveAttribute('data-offline');
    await userEvent.keyboard('{Enter}');
    await expect(canvas.getByRole('alert')).toHaveTextContent('Not sent: the connection is offline.');
    await expect(field).toHaveValue('not now');
  },
};

/** The connection is down but `queue` is set: messages wait and are sent once it is back. */
export const OfflineQueued: Story = {
  args: { queue: true },
  parameters: { sseKit: { scenario: 'reconnecting' } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByText(/messages wait/)).toBeInTheDocument(), EVENTUALLY);
    await userEvent.type(canvas.getByRole('textbox', { name: 'Message' }), 'queued note{Enter}');
    await expect(await canvas.findByRole('button', { name: 'Queued' }, EVENTUALLY)).toBeInTheDocument();
  },
};
