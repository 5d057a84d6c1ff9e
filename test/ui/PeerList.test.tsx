import { cleanup, render, screen, within } from '@testing-library/react';
import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PeerList, type PeerListPeer } from '../../src/ui/index.js';
import { RTL_NAME, expectIsolated } from './bidi.js';
import { manualClock } from './manualClock.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const ada: PeerListPeer = { id: 'ada-1', metadata: { name: 'Ada' }, joinedAt: T0, lastSeen: T0 };
const bob: PeerListPeer = { id: 'bob-2', metadata: { name: 'Bob' }, joinedAt: T0, lastSeen: T0 };
const cy: PeerListPeer = { id: 'cy-3', metadata: { name: 'Cy' }, joinedAt: T0, lastSeen: T0 };

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function rows() {
  return within(screen.getByRole('list', { name: 'People in the room' }))
    .getAllByRole('listitem')
    .map((li) => ({ text: li.querySelector('.sse-peers__name')?.textContent, state: li.dataset['state'], self: li.hasAttribute('data-self') }));
}

function announcement(container: HTMLElement) {
  return within(container.querySelector('.sse-peers') as HTMLElement).getByRole('status');
}

describe('PeerList', () => {
  it('lists peers with this client first and marked as you', () => {
    vi.useFakeTimers({ now: T0 });
    render(<PeerList peers={[bob, ada]} selfId="ada-1" status="joined" />);
    expect(rows()).toEqual([
      { text: 'Ada (you)', state: 'online', self: true },
      { text: 'Bob', state: 'online', self: false },
    ]);
  });

  it('isolates names for bidi: a right-to-left name with bidi controls cannot reorder "(you)" or the rest of the row', () => {
    vi.useFakeTimers({ now: T0 });
    const other = 'عمر \u202E(ضيف';
    const peers: PeerListPeer[] = [
      { id: 'rtl-1', metadata: { name: RTL_NAME }, lastSeen: T0 },
      { id: 'rtl-2', metadata: { name: other }, lastSeen: T0 },
    ];
    render(<PeerList peers={peers} selfId="rtl-1" status="joined" />);
    const list = screen.getByRole('list', { name: 'People in the room' });
    expect(rows().map((r) => r.text)).toEqual([`${RTL_NAME} (you)`, other]);
    expectIsolated(list, RTL_NAME);
    expectIsolated(list, other);
  });

  it('shows this client from selfMetadata when peers does not list it, and an empty message', () => {
    vi.useFakeTimers({ now: T0 });
    const { container } = render(<PeerList peers={[]} selfId="me" selfMetadata={{ name: 'Me' }} />);
    expect(rows()).toEqual([{ text: 'Me (you)', state: 'online', self: true }]);
    expect(screen.getByText('Nobody else is here yet.')).toBeTruthy();
    expect(container.querySelector('.sse-peers')?.getAttribute('data-count')).toBe('0');
  });

  it('marks joining and leaving peers for a moment and announces them politely', () => {
    vi.useFakeTimers({ now: T0 });
    const { rerender, container } = render(<PeerList peers={[ada, bob]} selfId="ada-1" transitionMs={1000} />);
    const live = announcement(container);
    expect(live.getAttribute('aria-live')).toBe('polite');
    expect(live.textContent).toBe('');
    // Peers present at mount are not "joining".
    expect(rows().map((r) => r.state)).toEqual(['online', 'online']);

    rerender(<PeerList peers={[ada, bob, cy]} selfId="ada-1" transitionMs={1000} />);
    expect(rows().find((r) => r.text === 'Cy')?.state).toBe('joining');
    expect(live.textContent).toBe('Cy joined.');
    act(() => vi.advanceTimersByTime(1100));
    expect(rows().find((r) => r.text === 'Cy')?.state).toBe('online');

    rerender(<PeerList peers={[ada, cy]} selfId="ada-1" transitionMs={1000} />);
    expect(rows().find((r) => r.text === 'Bob')?.state).toBe('leaving');
    expect(live.textContent).toBe('Bob left.');
    act(() => vi.advanceTimersByTime(1100));
    expect(rows().map((r) => r.text)).toEqual(['Ada (you)', 'Cy']);
  });

  it('speaks an announcement again when the next one says the same ("Bob joined." for his second tab)', () => {
    vi.useFakeTimers({ now: T0 });
    const bobTab: PeerListPeer = { ...bob, id: 'bob-3' };
    const { rerender, container } = render(<PeerList peers={[ada]} selfId="ada-1" />);
    const live = announcement(container);
    rerender(<PeerList peers={[ada, bob]} selfId="ada-1" />);
    expect(live.textContent).toBe('Bob joined.');
    const said = live.firstChild;
    rerender(<PeerList peers={[ada, bob, bobTab]} selfId="ada-1" />);
    expect(live.textContent).toBe('Bob joined.');
    // A new node: a screen reader speaks it again (an unchanged text is not spoken).
    expect(live.firstChild).not.toBe(said);
    // Re-renders that announce nothing leave it as it is.
    const kept = live.firstChild;
    rerender(<PeerList peers={[ada, bob, bobTab]} selfId="ada-1" label="Room" />);
    expect(live.firstChild).toBe(kept);
  });

  it('announces many arrivals or departures at once as a count, not name by name', () => {
    vi.useFakeTimers({ now: T0 });
    const crowd = Array.from({ length: 40 }, (_, i): PeerListPeer => ({ id: `p-${i}`, metadata: { name: `Guest ${i}` }, lastSeen: T0 }));
    const { rerender, container } = render(<PeerList peers={[ada]} selfId="ada-1" />);
    const live = announcement(container);
    rerender(<PeerList peers={[ada, ...crowd]} selfId="ada-1" />);
    expect(live.textContent).toBe('40 people joined.');
    rerender(<PeerList peers={[ada, ...crowd.slice(0, 2), bob]} selfId="ada-1" />);
    expect(live.textContent).toBe('Bob joined. 38 people left.');
    rerender(<PeerList peers={[ada, bob]} selfId="ada-1" />);
    expect(live.textContent).toBe('Guest 0 left. Guest 1 left.');
  });

  it('times transitions and "away" on the clock it is given, not on Date.now', () => {
    const { clock, advance } = manualClock(T0);
    const view = (peers: PeerListPeer[]) => <PeerList peers={peers} selfId="ada-1" transitionMs={1000} awayAfter={20_000} clock={clock} />;
    const { rerender } = render(view([ada]));
    rerender(view([ada, bob]));
    expect(rows().find((r) => r.text === 'Bob')?.state).toBe('joining');
    act(() => advance(999));
    expect(rows().find((r) => r.text === 'Bob')?.state).toBe('joining');
    act(() => advance(1));
    expect(rows().find((r) => r.text === 'Bob')?.state).toBe('online');
    // Bob was last seen at T0: away once the clock passes T0 + awayAfter.
    act(() => advance(19_001));
    expect(rows().find((r) => r.text === 'Bob')?.state).toBe('away');
    rerender(view([ada]));
    expect(rows().find((r) => r.text === 'Bob')?.state).toBe('leaving');
    act(() => advance(1000));
    expect(rows().map((r) => r.text)).toEqual(['Ada (you)']);
  });

  it('shows a peer not heard from for awayAfter as away', () => {
    vi.useFakeTimers({ now: T0 + 30_000 });
    render(<PeerList peers={[ada, { ...bob, lastSeen: T0 }, { ...cy, lastSeen: T0 + 29_000 }]} selfId="ada-1" awayAfter={20_000} />);
    expect(rows().map((r) => [r.text, r.state])).toEqual([
      ['Ada (you)', 'online'],
      ['Bob', 'away'],
      ['Cy', 'online'],
    ]);
  });

  it('names anonymous peers by a short id, and takes getName', () => {
    vi.useFakeTimers({ now: T0 });
    const { rerender } = render(<PeerList peers={[{ id: 'abcdef123456' }]} />);
    expect(rows()[0]?.text).toBe('Peer abcdef');
    rerender(<PeerList peers={[{ id: 'abcdef123456' }]} getName={(p) => p.id.toUpperCase()} />);
    expect(rows()[0]?.text).toBe('ABCDEF123456');
  });

  it('shows the own row by the signaling status, never online while not joined', () => {
    vi.useFakeTimers({ now: T0 });
    const { rerender } = render(<PeerList peers={[]} selfId="ada-1" selfMetadata={{ name: 'Ada' }} status="idle" />);
    expect(rows()[0]).toEqual({ text: 'Ada (you)', state: 'offline', self: true });
    expect(screen.getByRole('list').querySelector('[data-self] .sse-peers__presence')?.textContent).toBe('idle');
    rerender(<PeerList peers={[]} selfId="ada-1" selfMetadata={{ name: 'Ada' }} status="reconnecting" />);
    expect(rows()[0]?.state).toBe('away');
    rerender(<PeerList peers={[ada]} selfId="ada-1" status="joined" />);
    expect(rows()[0]?.state).toBe('online');
  });

  it('keeps one row for this client when peers stops listing it (no leaving twin beside its own row)', () => {
    vi.useFakeTimers({ now: T0 });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { rerender } = render(<PeerList peers={[ada, bob]} selfId="ada-1" status="joined" />);
    rerender(<PeerList peers={[bob]} selfId="ada-1" selfMetadata={{ name: 'Ada' }} status="reconnecting" />);
    expect(rows()).toEqual([
      { text: 'Ada (you)', state: 'away', self: true },
      { text: 'Bob', state: 'online', self: false },
    ]);
    expect(errors).not.toHaveBeenCalled();
  });

  it('shows placeholder rows while joining with nobody listed, then the peers', () => {
    vi.useFakeTimers({ now: T0 });
    const { container, rerender } = render(<PeerList peers={[]} selfId="ada-1" selfMetadata={{ name: 'Ada' }} status="joining" />);
    const root = container.querySelector('.sse-peers') as HTMLElement;
    expect(root.getAttribute('aria-busy')).toBe('true');
    expect(root.querySelectorAll('.sse-peers__skeleton[aria-hidden="true"]')).toHaveLength(2);
    expect(screen.getByText('Joining the room…')).toBeTruthy();
    rerender(<PeerList peers={[ada, bob]} selfId="ada-1" status="joined" />);
    expect(root.hasAttribute('aria-busy')).toBe(false);
    expect(root.querySelectorAll('.sse-peers__skeleton')).toHaveLength(0);
  });

  it('gives each peer a colour of its own, the same for the same name', () => {
    vi.useFakeTimers({ now: T0 });
    render(<PeerList peers={[ada, bob, { ...ada, id: 'ada-2' }]} />);
    const hues = within(screen.getByRole('list')).getAllByRole('listitem').map((li) => li.dataset['hue']);
    expect(hues.every((h) => /^[0-7]$/.test(h ?? ''))).toBe(true);
    expect(hues[0]).toBe(hues[2]);
  });
});
