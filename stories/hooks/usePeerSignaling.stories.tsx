import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from '../support/play.js';
import { SseProvider, usePeerSignaling } from '../../src/react/index.js';
import { PeerList } from '../../src/ui/index.js';
import { useStoryHub } from '../support/storyHub.js';

const ROOM = 'hooks-demo';

/** Another client joining the same room through its own provider. */
function OtherPeer({ name }: { name: string }) {
  const { driverOptions } = useStoryHub();
  const [options] = useState(driverOptions);
  return (
    <SseProvider {...options}>
      <Joiner name={name} />
    </SseProvider>
  );
}

function Joiner({ name }: { name: string }) {
  usePeerSignaling(ROOM, { metadata: { name } });
  return null;
}

/** Props of the demo. */
interface UsePeerSignalingDemoProps {
  /** This client's display name (sent as metadata). */
  name?: string;
  /** `false` stays out of the room. */
  enabled?: boolean;
}

/** Joins a room and prints what `usePeerSignaling` returns; a second client joins beside it. */
function UsePeerSignalingDemo({ name = 'Ada', enabled = true }: UsePeerSignalingDemoProps) {
  const { selfId, peers, status } = usePeerSignaling(ROOM, { metadata: { name }, enabled });
  return (
    <div className="sb-stack">
      <OtherPeer name="Grace" />
      <dl className="sb-metrics" aria-label="usePeerSignaling result">
        <div className="sb-metric">
          <dt>status</dt>
          <dd data-testid="status">{status}</dd>
        </div>
        <div className="sb-metric">
          <dt>peers.length</dt>
          <dd data-testid="count">{peers.length}</dd>
        </div>
        <div className="sb-metric">
          <dt>selfId</dt>
          <dd className="sse-inspector__mono">{selfId}</dd>
        </div>
      </dl>
      <PeerList peers={peers} selfId={selfId} selfMetadata={{ name }} status={status} />
    </div>
  );
}

const meta = {
  title: 'Hooks/usePeerSignaling',
  component: UsePeerSignalingDemo,
  parameters: {
    docs: {
      description: {
        component: `
\`usePeerSignaling(room, { metadata, onSignal, enabled })\` joins \`room\` on the provider's connection while
mounted and returns \`{ selfId, peers, status, send, broadcast, leave }\`. \`peers\` lists the other members
(\`id\`, \`metadata\`, \`joinedAt\`, \`lastSeen\`); leaving (unmount, \`enabled: false\`, \`leave()\`) sends an
explicit \`bye\`. Pass the result to \`PeerList\`:

\`\`\`tsx
const room = usePeerSignaling('lobby', { metadata: { name } });
<PeerList peers={room.peers} selfId={room.selfId} selfMetadata={{ name }} status={room.status} />
\`\`\``,
      },
    },
  },
} satisfies Meta<typeof UsePeerSignalingDemo>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Ada joins; Grace, on another connection, is already there. */
export const TwoPeers: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await waitFor(() => expect(canvas.getByTestId('count')).toHaveTextContent('1'), EVENTUALLY);
    await expect(canvas.getByText('Grace')).toBeInTheDocument();
  },
};
