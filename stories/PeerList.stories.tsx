import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from './support/play.js';
import { storyClock, useStoryHub } from './support/storyHub.js';
import { PeerList, type PeerListPeer } from '../src/ui/index.js';

const NOW = Date.now();
const ADA: PeerListPeer = { id: 'a1d4c0de', metadata: { name: 'Ada' }, joinedAt: NOW - 600_000, lastSeen: NOW };
const GRACE: PeerListPeer = { id: 'b7e2f00d', metadata: { name: 'Grace' }, joinedAt: NOW - 300_000, lastSeen: NOW };
const LINUS: PeerListPeer = { id: 'c3a9beef', metadata: { name: 'Linus' }, joinedAt: NOW - 120_000, lastSeen: NOW - 60_000 };
const ANON: PeerListPeer = { id: 'd00dfeed42', metadata: {}, joinedAt: NOW - 5_000, lastSeen: NOW };

/**
 * The peers of a room, as `usePeerSignaling` reports them: pass its `peers`, `selfId` and `status`.
 * Joining and leaving peers get a transition state and are announced politely.
 */
const meta = {
  title: 'Components/PeerList',
  component: PeerList,
  args: { peers: [ADA, GRACE, LINUS], selfId: ADA.id, status: 'joined' },
  parameters: { sseKit: { controls: false } },
} satisfies Meta<typeof PeerList>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Three people, you among them; Linus has not been heard from for a minute. */
export const Room: Story = {
  play: async ({ canvasElement }) => {
    const list = within(canvasElement).getByRole('list', { name: 'People in the room' });
    const rows = within(list).getAllByRole('listitem');
    await expect(rows).toHaveLength(3);
    await expect(rows[0]).toHaveTextContent('Ada (you)');
    await expect(rows[2]).toHaveAttribute('data-state', 'away');
  },
};

/** Only you. */
export const Empty: Story = {
  args: { peers: [], selfId: ADA.id, selfMetadata: ADA.metadata },
};

/** Still joining the room: your row says so, and placeholder rows stand in for the others. */
export const Joining: Story = {
  args: { peers: [], selfId: ADA.id, selfMetadata: ADA.metadata, status: 'joining' },
  play: async ({ canvasElement }) => {
    await expect(within(canvasElement).getByText('Joining the room…')).toBeInTheDocument();
    await expect(canvasElement.querySelector('[data-self]')).toHaveAttribute('data-state', 'joining');
  },
};

/** Signaling is idle (not in the room): your row is not shown as online. */
export const Idle: Story = {
  args: { peers: [], selfId: ADA.id, selfMetadata: ADA.metadata, status: 'idle' },
  play: async ({ canvasElement }) => {
    await expect(canvasElement.querySelector('[data-self]')).toHaveAttribute('data-state', 'offline');
  },
};

/** Peers without a name show a short id. */
export const Anonymous: Story = {
  args: { peers: [ADA, ANON], selfId: ADA.id },
};

/** The room on the story's clock: the transitions last `transitionMs` of story time. */
function JoinLeave(props: React.ComponentProps<typeof PeerList>) {
  const { clock } = useStoryHub();
  const [peers, setPeers] = useState<readonly PeerListPeer[]>(() => [ADA, GRACE].map((p) => ({ ...p, lastSeen: clock.now() })));
  const hasLinus = peers.some((p) => p.id === LINUS.id);
  return (
    <div className="sb-stack">
      <div className="sb-row">
        <button type="button" onClick={() => setPeers((list) => (hasLinus ? list.filter((p) => p.id !== LINUS.id) : [...list, { ...LINUS, lastSeen: clock.now() }]))}>
          {hasLinus ? 'Linus leaves' : 'Linus joins'}
        </button>
      </div>
      <PeerList {...props} peers={peers} clock={clock} />
    </div>
  );
}

/**
 * Press the button to see a peer join and leave (with a polite announcement). The play function holds the
 * story's clock, so each transition lasts until it advances the clock past `transitionMs` (1.5 s).
 */
export const JoinAndLeave: Story = {
  render: (args) => <JoinLeave {...args} />,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const clock = storyClock(canvasElement);
    const linus = () => canvas.getByText('Linus').closest('li');
    const status = canvasElement.querySelector('.sse-peers [role="status"]');
    clock.hold();
    try {
      await userEvent.click(canvas.getByRole('button', { name: 'Linus joins' }));
      await expect(linus()).toHaveAttribute('data-state', 'joining');
      await expect(status).toHaveTextContent('Linus joined.');
      clock.advance(1_499);
      await expect(linus()).toHaveAttribute('data-state', 'joining');
      clock.advance(1);
      await waitFor(() => expect(linus()).toHaveAttribute('data-state', 'online'), EVENTUALLY);

      await userEvent.click(canvas.getByRole('button', { name: 'Linus leaves' }));
      await expect(linus()).toHaveAttribute('data-state', 'leaving');
      await expect(status).toHaveTextContent('Linus left.');
      clock.advance(1_500);
      await waitFor(() => expect(canvas.queryByText('Linus')).not.toBeInTheDocument(), EVENTUALLY);
    } finally {
      clock.release();
    }
  },
};
