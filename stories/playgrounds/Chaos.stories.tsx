import type { Meta, StoryObj } from '@storybook/react-vite';
import { useEffect, useState } from 'react';
import { expect, waitFor, within } from 'storybook/test';
import { useTopic } from '../../src/react/index.js';
import { ConnectionStatus, HubInspector, TopicFeed } from '../../src/ui/index.js';
import { usePublisherLoop } from '../support/helpers.js';
import { useStoryHub } from '../support/storyHub.js';

const TICKS = 'https://example.com/ticks';
const DROP_EVERY = 3000;

/** Checks the sequence numbers that arrived: all present, in order, none twice. */
function GapCheck() {
  const { events, dropped } = useTopic<{ seq: number }>(TICKS, { buffer: 100_000 });
  let missing = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  // Counted from the first update received: the publisher may start before the subscription opens.
  let previous = (events[0]?.data.seq ?? 1) - 1;
  for (const event of events) {
    const seq = event.data.seq;
    if (seq === previous) duplicates++;
    else if (seq < previous) outOfOrder++;
    else missing += seq - previous - 1;
    previous = Math.max(previous, seq);
  }
  const ok = missing === 0 && duplicates === 0 && outOfOrder === 0 && dropped === 0;
  return (
    <p className="sb-check" data-ok={ok} data-testid="gap-check" data-received={events.length}>
      {`Received ${events.length} updates: ${missing} missing, ${duplicates} duplicated, ${outOfOrder} out of order.`}
    </p>
  );
}

function Dropper() {
  const { hub } = useStoryHub();
  const [drops, setDrops] = useState(0);
  useEffect(() => {
    if (!hub) return undefined;
    const timer = setInterval(() => {
      hub.dropConnections();
      setDrops((n) => n + 1);
    }, DROP_EVERY);
    return () => clearInterval(timer);
  }, [hub]);
  return (
    <p className="sb-note" data-testid="drops" data-drops={drops}>
      {hub ? `Connections dropped ${drops} times (every ${DROP_EVERY / 1000} s).` : 'Connection drops need the mocked hub.'}
    </p>
  );
}

function Chaos() {
  usePublisherLoop(TICKS, 100, (seq) => ({ seq }));
  return (
    <div className="sb-stack">
      <div className="sb-panel__head">
        <h2 className="sb-panel__title">Chaos: the hub drops every connection every few seconds</h2>
        <ConnectionStatus />
      </div>
      <Dropper />
      <GapCheck />
      <div className="sb-columns">
        <TopicFeed topic={TICKS} label="Ticks" options={{ buffer: 300 }} renderEvent={(event) => `tick #${(event.data as { seq: number }).seq}`} />
        <HubInspector headingLevel={3} />
      </div>
    </div>
  );
}

/**
 * Ten updates a second while the hub cuts every connection every three seconds. The driver resumes from
 * the last event id each time, so the feed shows no gap and no duplicate.
 */
const meta = {
  title: 'Playgrounds/Chaos',
  component: Chaos,
  parameters: { layout: 'fullscreen' },
} satisfies Meta<typeof Chaos>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Watch the timeline: drop, resume, drop, resume… and the check stays green. */
export const DropsEveryFewSeconds: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(Number(canvas.getByTestId('drops').dataset['drops'])).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    await waitFor(() => expect(Number(canvas.getByTestId('gap-check').dataset['received'])).toBeGreaterThan(50), { timeout: 5000 });
    await expect(canvas.getByTestId('gap-check')).toHaveAttribute('data-ok', 'true');
  },
};
