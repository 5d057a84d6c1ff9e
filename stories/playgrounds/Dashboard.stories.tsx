import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from '../support/play.js';
import { useTopic } from '../../src/react/index.js';
import { ConnectionStatus, HubInspector, TopicFeed } from '../../src/ui/index.js';
import { usePublisherLoop } from '../support/helpers.js';

const ALERTS = 'https://example.com/alerts';

interface Sample {
  name: string;
  value: number;
  unit: string;
}

const SERIES: readonly { name: string; unit: string; base: number; swing: number }[] = [
  { name: 'cpu', unit: '%', base: 42, swing: 18 },
  { name: 'memory', unit: 'GB', base: 6.2, swing: 0.8 },
  { name: 'requests', unit: '/s', base: 1200, swing: 300 },
  { name: 'latency', unit: 'ms', base: 38, swing: 12 },
];

function Simulator() {
  usePublisherLoop('https://example.com/metrics/all', 400, (n) =>
    SERIES.map((s, i) => ({
      name: s.name,
      unit: s.unit,
      value: Math.round((s.base + Math.sin(n / 4 + i) * s.swing) * 10) / 10,
    })),
  );
  usePublisherLoop(ALERTS, 2500, (n) => ({
    level: n % 3 === 0 ? 'warn' : 'info',
    text: n % 3 === 0 ? `p99 latency above 50 ms on node-${n % 4}` : `autoscaler: ${2 + (n % 3)} replicas`,
  }));
  return null;
}

function Metrics() {
  const { last } = useTopic<readonly Sample[]>('https://example.com/metrics/all');
  const samples = last?.data ?? [];
  return (
    <dl className="sb-metrics" aria-label="Live metrics">
      {SERIES.map((s) => {
        const sample = samples.find((x) => x.name === s.name);
        return (
          <div key={s.name} className="sb-metric">
            <dt>{s.name}</dt>
            <dd data-testid={`metric-${s.name}`}>{sample ? `${sample.value} ${sample.unit}` : '—'}</dd>
          </div>
        );
      })}
    </dl>
  );
}

function Dashboard() {
  return (
    <div className="sb-stack">
      <Simulator />
      <div className="sb-panel__head">
        <h2 className="sb-panel__title">Production overview</h2>
        <ConnectionStatus />
      </div>
      <Metrics />
      <div className="sb-columns">
        <section className="sb-stack" aria-labelledby="alerts-title">
          <h3 id="alerts-title" className="sb-panel__title">
            Alerts
          </h3>
          <TopicFeed
            topic={ALERTS}
            label="Alerts"
            options={{ buffer: 100 }}
            emptyMessage="No alerts yet."
            renderEvent={(event) => {
              const alert = event.data as { level: string; text: string };
              return `${alert.level === 'warn' ? '⚠ ' : ''}${alert.text}`;
            }}
          />
        </section>
        <HubInspector headingLevel={3} />
      </div>
    </div>
  );
}

/**
 * A live dashboard fed by a simulated publisher on the same hub: metric tiles read `useTopic().last`,
 * alerts stream into a `TopicFeed`, and the inspector shows the single shared connection.
 */
const meta = {
  title: 'Playgrounds/Dashboard',
  component: Dashboard,
  parameters: { layout: 'fullscreen' },
} satisfies Meta<typeof Dashboard>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Metrics every 400 ms, an alert every 2.5 s. */
export const Live: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByTestId('metric-cpu')).toHaveTextContent('%'), EVENTUALLY);
    await waitFor(() => expect(canvas.getByRole('log', { name: 'Alerts' })).not.toHaveTextContent('No alerts yet.'), EVENTUALLY);
  },
};

