import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from '../support/play.js';
import { usePublish } from '../../src/react/index.js';

const TOPIC = 'https://example.com/hooks/clicks';

/** Props of the demo. */
interface UsePublishDemoProps {
  /** Hold publishes while offline and send them once connected. */
  queue?: boolean;
}

/** A button publishing a click count, showing what `usePublish` returns. */
function UsePublishDemo({ queue = false }: UsePublishDemoProps) {
  const { publish, status, error, lastId, reset } = usePublish<{ at: number }>(TOPIC, { queue });
  return (
    <div className="sb-stack">
      <div className="sb-row">
        <button type="button" onClick={() => publish({ at: Date.now() })}>
          Publish
        </button>
        <button type="button" onClick={reset}>
          Reset
        </button>
      </div>
      <dl className="sb-metrics" aria-label="usePublish result">
        <div className="sb-metric">
          <dt>status</dt>
          <dd data-testid="status">{status}</dd>
        </div>
        <div className="sb-metric">
          <dt>lastId</dt>
          <dd className="sse-inspector__mono">{lastId ?? '—'}</dd>
        </div>
        <div className="sb-metric">
          <dt>error</dt>
          <dd data-testid="error">{error ? error.code : 'none'}</dd>
        </div>
      </dl>
    </div>
  );
}

const meta = {
  title: 'Hooks/usePublish',
  component: UsePublishDemo,
  parameters: {
    docs: {
      description: {
        component: `
\`usePublish(topic, defaults?)\` returns \`{ publish, publishAsync, status, error, lastId, reset }\`.
\`publish\` is stable and never throws: the outcome lands in \`status\` (\`idle | queued | pending | success | error\`),
\`error\` and \`lastId\`. \`publishAsync\` returns the promise of the id. While the driver is reconnecting a
publish fails at once with \`network\`, unless \`queue: true\` holds it (bounded, idempotent ids) until the
connection is back. Use **Reject next publish** in the bar to see the error state.

\`\`\`tsx
const { publish, status } = usePublish<Message>('https://example.com/rooms/1', { queue: true });
<button onClick={() => publish({ text: 'hi' })} disabled={status === 'pending'}>Send</button>
\`\`\``,
      },
    },
  },
} satisfies Meta<typeof UsePublishDemo>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Press Publish; then press "Reject next publish" and publish again. */
export const Publish: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: 'Publish' }));
    await waitFor(() => expect(canvas.getByTestId('status')).toHaveTextContent('success'), EVENTUALLY);
    await userEvent.click(canvas.getByRole('button', { name: 'Reject next publish' }));
    await userEvent.click(canvas.getByRole('button', { name: 'Publish' }));
    await waitFor(() => expect(canvas.getByTestId('status')).toHaveTextContent('error'), EVENTUALLY);
    await expect(canvas.getByTestId('error')).toHaveTextContent('server');
  },
};
