import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from './support/play.js';
import { ConnectionStatus } from '../src/ui/index.js';
import { Subscribe } from './support/helpers.js';

const TOPIC = 'https://example.com/status';

/**
 * The provider's connection status as a badge. Hover, focus or press it for the retry count, the last event
 * id and the last error. A status is announced politely to screen readers once it has held for 2 s, so a
 * flapping connection does not flood them; the badge follows every change at once.
 */
const meta = {
  title: 'Components/ConnectionStatus',
  component: ConnectionStatus,
  render: (args) => (
    <div className="sb-row">
      <ConnectionStatus {...args} />
      <Subscribe topic={TOPIC} />
    </div>
  ),
} satisfies Meta<typeof ConnectionStatus>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Connected to the mocked hub. */
export const Open: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByRole('button', { name: /connected/i })).toBeInTheDocument(), EVENTUALLY);
    // Spoken once the status has held for 2 s.
    const live = canvasElement.querySelector('.sse-status [role="status"]');
    await waitFor(() => expect(live).toHaveTextContent('Connection: Connected'), EVENTUALLY);
  },
};

/** The hub has not answered yet. */
export const Connecting: Story = {
  parameters: { sseKit: { scenario: 'connecting' } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByRole('button', { name: /connecting/i })).toBeInTheDocument(), EVENTUALLY);
  },
};

/** The hub answers 503 every time: the driver keeps retrying with backoff. Focus the badge for details. */
export const Reconnecting: Story = {
  parameters: { sseKit: { scenario: 'reconnecting' } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const badge = await canvas.findByRole('button', { name: /reconnecting/i }, EVENTUALLY);
    await userEvent.click(badge);
    await expect(badge).toHaveAttribute('aria-expanded', 'true');
    await waitFor(() => expect(canvas.getByRole('tooltip')).toHaveTextContent(/503/), EVENTUALLY);
  },
};

/** The hub rejected the subscriber (401): retries stop until the credentials change, or Reconnect is pressed. */
export const Unauthorized: Story = {
  parameters: { sseKit: { scenario: 'unauthorized' } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const badge = await canvas.findByRole('button', { name: /connection error/i }, EVENTUALLY);
    await expect(badge).toHaveAccessibleDescription(/Last error \(unauthorized\)/);
    await expect(canvas.getByRole('button', { name: 'Reconnect' })).toBeInTheDocument();
  },
};

/** Labels can be replaced, for instance to translate them. */
export const CustomLabels: Story = {
  args: { labels: { open: 'En ligne', connecting: 'Connexion…', reconnecting: 'Reconnexion…', error: 'Erreur' } },
};
