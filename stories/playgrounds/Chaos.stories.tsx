import type { Meta, StoryObj } from '@storybook/react-vite';
import { useEffect, useState } from 'react';
import { expect, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from '../support/play.js';
import { useTopic } from '../../src/react/index.js';
import { ConnectionStatus, HubInspector, TopicFeed } from '../../src/ui/index.js';
import { usePublisherLoop } from '../support/helpers.js';
import { useStoryHub } from '../support/storyHub.js';

const TICKS = 'https://example.com/ticks';
/** The hub drops every connection after this many publishes: chaos paced by events, not by the clock. */
const DROP_EVERY = 20;

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
    let published = 0;
    return hub.on('publish', () => {
      if (++published % DROP_EVERY !== 0) return;
      hub.dropConnections();
      setDrops((n) => n + 1);
    });
  }, [hub]);
  return (
    <p className="sb-note" data-testid="drops" data-drops={drops}>
      {hub ? `Connections dropped ${drops} times (after every ${DROP_EVERY} updates).` : 'Connection drops need the mocked hub.'}
    </p>
  );
}

function Chaos() {
  usePublisherLoop(TICKS, 100, (seq) => ({ seq }));
  return (
    <div className="sb-stack">
      <div className="sb-panel__head">
        <h2 className="sb-panel__title">Chaos: the hub keeps dropping every connection</h2>
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
 * Ten updates a second while the hub cuts every connection after every 20 updates. The driver resumes from
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
    // Two drops mean 2 × DROP_EVERY publishes; the client has resumed past them once it holds that many.
    await waitFor(() => expect(Number(canvas.getByTestId('drops').dataset['drops'])).toBeGreaterThanOrEqual(2), EVENTUALLY);
    await waitFor(() => expect(Number(canvas.getByTestId('gap-check').dataset['received'])).toBeGreaterThanOrEqual(2 * DROP_EVERY), EVENTUALLY);
    await expect(canvas.getByTestId('gap-check')).toHaveAttribute('data-ok', 'true');
  },
};
