import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { EVENTUALLY } from '../support/play.js';
import { SseProvider, usePeerSignaling } from '../../src/react/index.js';
import { ConnectionStatus, PeerList } from '../../src/ui/index.js';
import { useStoryHub } from '../support/storyHub.js';

const ROOM = 'lobby';

function Member({ name }: { name: string }) {
  const [present, setPresent] = useState(true);
  const metadata = { name };
  const room = usePeerSignaling(ROOM, { metadata, enabled: present });
  return (
    <section className="sb-panel" aria-label={`${name}'s view`}>
      <div className="sb-panel__head">
        <h2 className="sb-panel__title">{name}</h2>
        <ConnectionStatus />
      </div>
      <PeerList peers={present ? room.peers : []} selfId={room.selfId} selfMetadata={metadata} status={room.status} />
      <button type="button" onClick={() => setPresent((p) => !p)}>
        {present ? `${name} leaves` : `${name} joins again`}
      </button>
    </section>
  );
}

function Window({ name }: { name: string }) {
  const { driverOptions } = useStoryHub();
  const [options] = useState(driverOptions);
  return (
    <SseProvider {...options}>
      <Member name={name} />
    </SseProvider>
  );
}

function Room() {
  return (
    <div className="sb-columns">
      <Window name="Ada" />
      <Window name="Grace" />
      <Window name="Linus" />
    </div>
  );
}

/**
 * Three peers, each with their own provider, meet in one room through the hub with `usePeerSignaling`.
 * Press a "leaves" button: the others see that peer leave at once (an explicit `bye`), and join again.
 */
const meta = {
  title: 'Playgrounds/Room',
  component: Room,
  parameters: { sseKit: { provider: false }, layout: 'fullscreen' },
} satisfies Meta<typeof Room>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Everyone sees the two others; Linus leaves and the others see it. */
export const ThreePeers: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const view = (name: string) => within(canvas.getByRole('region', { name: `${name}'s view` }));
    for (const name of ['Ada', 'Grace', 'Linus']) {
      await waitFor(() => expect(view(name).getAllByRole('listitem')).toHaveLength(3), EVENTUALLY);
    }
    await userEvent.click(view('Linus').getByRole('button', { name: 'Linus leaves' }));
    await waitFor(() => expect(view('Ada').queryByText('Linus')).not.toBeInTheDocument(), EVENTUALLY);
    await waitFor(() => expect(view('Grace').queryByText('Linus')).not.toBeInTheDocument(), EVENTUALLY);
  },
};
