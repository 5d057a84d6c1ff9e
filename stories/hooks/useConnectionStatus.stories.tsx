import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from '../support/play.js';
import { useConnectionStatus, useSseDriver } from '../../src/react/index.js';
import { Subscribe } from '../support/helpers.js';

/** Props of the demo. */
interface UseConnectionStatusDemoProps {
  /** Hold a subscription, so that the provider connects. */
  subscribe?: boolean;
}

/** Prints what `useConnectionStatus` and `useSseDriver` return, with a reconnect button. */
function UseConnectionStatusDemo({ subscribe = true }: UseConnectionStatusDemoProps) {
  const { status, retries, error, lastEventId, reconnect } = useConnectionStatus();
  const driver = useSseDriver();
  return (
    <div className="sb-stack">
      {subscribe ? <Subscribe topic="https://example.com/hooks/status" /> : null}
      <div className="sb-row">
        <button type="button" onClick={reconnect}>
          Reconnect
        </button>
      </div>
      <dl className="sb-metrics" aria-label="useConnectionStatus result">
        <div className="sb-metric">
          <dt>status</dt>
          <dd data-testid="status">{status}</dd>
        </div>
        <div className="sb-metric">
          <dt>retries</dt>
          <dd>{retries}</dd>
        </div>
        <div className="sb-metric">
          <dt>lastEventId</dt>
          <dd className="sse-inspector__mono">{lastEventId ?? '—'}</dd>
        </div>
        <div className="sb-metric">
          <dt>error</dt>
          <dd>{error ? error.code : 'none'}</dd>
        </div>
        <div className="sb-metric">
          <dt>useSseDriver().url</dt>
          <dd className="sse-inspector__mono">{driver.url}</dd>
        </div>
      </dl>
    </div>
  );
}

const meta = {
  title: 'Hooks/useConnectionStatus',
  component: UseConnectionStatusDemo,
  parameters: {
    docs: {
      description: {
        component: `
\`useConnectionStatus()\` returns \`{ status, lastEventId, retries, error, reconnect }\` for the nearest
provider: \`status\` is \`idle | connecting | open | reconnecting | closed | error\`; \`reconnect()\` reconnects
now, resetting the backoff and lifting a stop caused by 401/403. \`useSseDriver()\` returns the provider's
\`SseDriver\` (for \`driver.on(…)\` timelines, \`getSubscriptions()\`, \`clientId\`). Press **Drop connection**
in the bar to watch \`status\` go through \`reconnecting\` back to \`open\`.`,
      },
    },
  },
} satisfies Meta<typeof UseConnectionStatusDemo>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Connected. */
export const Open: Story = {
  play: async ({ canvasElement }) => {
    await waitFor(() => expect(within(canvasElement).getByTestId('status')).toHaveTextContent('open'), EVENTUALLY);
  },
};

/** No subscription: the provider stays idle. */
export const Idle: Story = {
  args: { subscribe: false },
};

/** The hub rejected the subscriber: retries stop until **Reconnect**. */
export const Unauthorized: Story = {
  parameters: { sseKit: { scenario: 'unauthorized' } },
  play: async ({ canvasElement }) => {
    await waitFor(() => expect(within(canvasElement).getByTestId('status')).toHaveTextContent('error'), EVENTUALLY);
  },
};
