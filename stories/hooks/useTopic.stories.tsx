import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from '../support/play.js';
import { useTopic } from '../../src/react/index.js';
import { usePublisherLoop } from '../support/helpers.js';

const TOPIC = 'https://example.com/hooks/counter';

/** Props of the demo: the `useTopic` options it passes through. */
interface UseTopicDemoProps {
  /** How many updates `events` keeps. */
  buffer?: number;
  /** `false` holds no subscription. */
  enabled?: boolean;
}

/** Subscribes to a counter published twice a second and prints what `useTopic` returns. */
function UseTopicDemo({ buffer = 5, enabled = true }: UseTopicDemoProps) {
  usePublisherLoop(TOPIC, 500, (n) => ({ n }));
  const { events, last, status, error, dropped } = useTopic<{ n: number }>(TOPIC, { buffer, enabled });
  return (
    <dl className="sb-metrics" aria-label="useTopic result">
      <div className="sb-metric">
        <dt>status</dt>
        <dd data-testid="status">{status}</dd>
      </div>
      <div className="sb-metric">
        <dt>last.data.n</dt>
        <dd data-testid="last">{last ? last.data.n : '—'}</dd>
      </div>
      <div className="sb-metric">
        <dt>events.length</dt>
        <dd>{events.length}</dd>
      </div>
      <div className="sb-metric">
        <dt>dropped</dt>
        <dd>{dropped}</dd>
      </div>
      <div className="sb-metric">
        <dt>error</dt>
        <dd>{error ? error.code : 'none'}</dd>
      </div>
    </dl>
  );
}

const meta = {
  title: 'Hooks/useTopic',
  component: UseTopicDemo,
  parameters: {
    docs: {
      description: {
        component: `
\`useTopic(matchers, options?)\` subscribes the component to one topic, a list of topics or URL patterns,
over the provider's single shared connection, and returns \`{ events, last, status, error, dropped, clear }\`.

| option | meaning |
| --- | --- |
| \`type\` | only updates of this SSE event type |
| \`buffer\` | how many updates \`events\` keeps (default 50); older ones count in \`dropped\` |
| \`parse\` | \`'json'\` (default), \`'text'\` or a function; a failure is an \`SseParseError\` in \`error\` |
| \`since\` | replay from an event id, or \`'earliest'\` |
| \`raw\` | receive updates not published through sse-kit |
| \`enabled\` | \`false\` holds no subscription |
| \`ignoreSelf\` | skip updates this client published |
| \`onEvent\` | called for every update, in order; a new function never resubscribes |

\`\`\`tsx
const { events, status } = useTopic<Message>('https://example.com/rooms/1', { buffer: 100 });
\`\`\``,
      },
    },
  },
} satisfies Meta<typeof UseTopicDemo>;

export default meta;
type Story = StoryObj<typeof meta>;

/** A counter published every 500 ms, five kept. */
export const Counter: Story = {
  args: { buffer: 5, enabled: true },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByTestId('last')).not.toHaveTextContent('—'), EVENTUALLY);
    await expect(canvas.getByTestId('status')).toHaveTextContent('open');
  },
};

/** `enabled: false`: no subscription, status `idle`. */
export const Disabled: Story = {
  args: { enabled: false },
};
