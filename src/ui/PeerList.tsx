'use client';
import { forwardRef, useEffect, useState, type HTMLAttributes, type ReactNode } from 'react';
import { cx } from './cx.js';
import { hueOf, initialsOf } from './identity.js';
import { nowOf, realClock } from './ticker.js';
import type { PeerListPeer, PeerPresence, UiClock } from './types.js';

/** Props of {@link PeerList}: the `peers`, `selfId` and `status` of `usePeerSignaling`, plus display options. */
export interface PeerListProps extends Omit<HTMLAttributes<HTMLDivElement>, 'children'> {
  /** Peers of the room (`usePeerSignaling().peers`). */
  peers: readonly PeerListPeer[];
  /** This client's peer id (`usePeerSignaling().selfId`); that peer is marked "you". */
  selfId?: string | undefined;
  /** Metadata of this client, used to show it when `peers` does not list it. */
  selfMetadata?: unknown;
  /** Signaling status (`usePeerSignaling().status`), exposed as `data-state`. */
  status?: string | undefined;
  /** Accessible name of the list (default `People in the room`). */
  label?: string | undefined;
  /** Display name of a peer (default: `metadata.name`, else a short id). */
  getName?: ((peer: PeerListPeer) => string) | undefined;
  /** Extra content at the end of a row. */
  renderExtra?: ((peer: PeerListPeer) => ReactNode) | undefined;
  /** A peer not heard from for this long (ms) shows as away (default 20 000). */
  awayAfter?: number | undefined;
  /** How long (ms) a joining or leaving peer keeps its transition state (default 1 500). */
  transitionMs?: number | undefined;
  /**
   * The clock of transitions and "away" (default `Date.now` and the global timers: the clock of
   * `usePeerSignaling`'s `lastSeen`). Pass one to drive time yourself, as a story or test does.
   */
  clock?: UiClock | undefined;
  /** Shown when nobody else is in the room. */
  emptyMessage?: ReactNode | undefined;
  /** Shown, with placeholder rows, while joining with nobody listed yet (default `Joining the room…`). */
  joiningMessage?: ReactNode | undefined;
}

/** Default display name: `metadata.name` when it is a string, else the first characters of the id. */
export function defaultPeerName(peer: PeerListPeer): string {
  const name = (peer.metadata as { name?: unknown } | null | undefined)?.name;
  return typeof name === 'string' && name.trim() !== '' ? name : `Peer ${peer.id.slice(0, 6)}`;
}

/** Presence of this client's own row, from the signaling status: never "online" while not joined. */
function selfPresence(status: string | undefined): PeerPresence {
  if (status === undefined || status === 'joined') return 'online';
  if (status === 'joining' || status === 'connecting') return 'joining';
  if (status === 'reconnecting') return 'away';
  return 'offline';
}

const presenceLabel: Readonly<Record<PeerPresence, string>> = { joining: 'joined', online: 'online', away: 'away', leaving: 'left', offline: 'offline' };

/** Most names one announcement reads out per verb; more are counted ("12 people joined."). */
const NAMED = 3;

/** Announcement sentences for the peers named in `names`: one per name, or a count when there are many. */
const said = (names: readonly string[], verb: 'joined' | 'left'): string[] =>
  names.length > NAMED ? [`${names.length} people ${verb}.`] : names.map((name) => `${name} ${verb}.`);

interface Departed {
  readonly peer: PeerListPeer;
  readonly at: number;
}

/**
 * The peers of a room with their presence, each with an avatar in a colour of its own (the same colour
 * `TopicFeed` gives that name), its name isolated for bidi (`<bdi>`). This client is marked "you" and its
 * row follows the signaling `status` (`joining`, `reconnecting`, `idle`… — never "online" while not joined);
 * while joining with nobody listed yet, placeholder rows stand in. Joining and leaving peers keep a `joining` / `leaving` state for a
 * moment (for CSS transitions) and are announced politely ("Ada joined."; more than three at once as a count:
 * "12 people joined.").
 *
 * Renders a `div` with `data-state` (the signaling status) and `data-count`; each row has `data-state`
 * (`joining`, `online`, `away`, `leaving`, `offline`), `data-hue` (its colour, 0–7) and `data-self` for this
 * client; the list is `aria-busy` while joining.
 *
 * ```tsx
 * const room = usePeerSignaling('lobby', { metadata: { name: 'Ada' } });
 * <PeerList peers={room.peers} selfId={room.selfId} status={room.status} />
 * ```
 */
export const PeerList = forwardRef<HTMLDivElement, PeerListProps>(function PeerList(
  {
    peers,
    selfId,
    selfMetadata,
    status,
    label = 'People in the room',
    getName = defaultPeerName,
    renderExtra,
    awayAfter = 20_000,
    transitionMs = 1_500,
    clock = realClock,
    emptyMessage = 'Nobody else is here yet.',
    joiningMessage = 'Joining the room…',
    className,
    ...rest
  },
  ref,
) {
  const [now, setNow] = useState(() => nowOf(clock));
  const [seen, setSeen] = useState(() => ({ peers, firstSeen: new Map<string, number>(peers.map((p) => [p.id, 0])) }));
  const [departed, setDeparted] = useState<ReadonlyMap<string, Departed>>(() => new Map());
  // `seq` keys the text: an announcement saying what the last one said is a new node, spoken again.
  const [announcement, setAnnouncement] = useState({ text: '', seq: 0 });

  // Derived from the previous peers during render (no effect round trip): who joined, who left.
  if (seen.peers !== peers) {
    const time = nowOf(clock);
    const ids = new Set(peers.map((p) => p.id));
    const firstSeen = new Map(seen.firstSeen);
    const nextDeparted = new Map(departed);
    const joined: string[] = [];
    const left: string[] = [];
    for (const peer of peers) {
      nextDeparted.delete(peer.id);
      if (!firstSeen.has(peer.id)) {
        firstSeen.set(peer.id, time);
        if (peer.id !== selfId) joined.push(getName(peer));
      }
    }
    for (const peer of seen.peers) {
      if (ids.has(peer.id)) continue;
      firstSeen.delete(peer.id);
      // This client keeps its own row (from `selfMetadata` and `status`): no leaving twin beside it.
      if (peer.id === selfId) continue;
      nextDeparted.set(peer.id, { peer, at: time });
      left.push(getName(peer));
    }
    setSeen({ peers, firstSeen });
    setDeparted(nextDeparted);
    setNow(time);
    const parts = [...said(joined, 'joined'), ...said(left, 'left')];
    if (parts.length > 0) setAnnouncement({ text: parts.join(' '), seq: announcement.seq + 1 });
  }

  const own = selfPresence(status);
  const rows: { peer: PeerListPeer; presence: PeerPresence }[] = [];
  if (selfId !== undefined && !peers.some((p) => p.id === selfId)) {
    rows.push({ peer: { id: selfId, metadata: selfMetadata }, presence: own });
  }
  for (const peer of peers) {
    const first = seen.firstSeen.get(peer.id) ?? 0;
    const presence: PeerPresence =
      peer.id === selfId
        ? own
        : now - first < transitionMs
          ? 'joining'
          : peer.lastSeen !== undefined && now - peer.lastSeen > awayAfter
            ? 'away'
            : 'online';
    rows.push({ peer, presence });
  }
  for (const { peer, at } of departed.values()) {
    if (now - at < transitionMs) rows.push({ peer, presence: 'leaving' });
  }
  rows.sort((a, b) => Number(b.peer.id === selfId) - Number(a.peer.id === selfId));

  // Re-render exactly when the next transition ends or the next peer turns away.
  let next = Infinity;
  for (const peer of peers) {
    const first = seen.firstSeen.get(peer.id) ?? 0;
    if (now - first < transitionMs) next = Math.min(next, first + transitionMs);
    if (peer.lastSeen !== undefined && now - peer.lastSeen <= awayAfter) next = Math.min(next, peer.lastSeen + awayAfter + 1);
  }
  for (const { at } of departed.values()) next = Math.min(next, at + transitionMs);
  useEffect(() => {
    if (!Number.isFinite(next)) return undefined;
    const timer = clock.setTimeout(() => {
      const time = nowOf(clock);
      setNow(time);
      setDeparted((current) => {
        if (![...current.values()].some((d) => time - d.at >= transitionMs)) return current;
        return new Map([...current].filter(([, d]) => time - d.at < transitionMs));
      });
    }, Math.max(0, next - nowOf(clock)));
    return () => clock.clearTimeout(timer);
  }, [next, transitionMs, clock]);
  const others = peers.filter((p) => p.id !== selfId).length;
  const joining = own === 'joining' && others === 0;

  return (
    <div
      ref={ref}
      className={cx('sse-peers', className)}
      data-state={status}
      data-count={others}
      aria-busy={joining || undefined}
      {...rest}
    >
      <ul className="sse-peers__list" aria-label={label}>
        {rows.map(({ peer, presence }) => {
          const name = getName(peer);
          const self = peer.id === selfId;
          return (
            <li key={peer.id} className="sse-peers__peer" data-state={presence} data-self={self ? '' : undefined} data-hue={hueOf(name)}>
              <span className="sse-peers__avatar" aria-hidden="true">
                {initialsOf(name)}
              </span>
              <span className="sse-peers__name">
                {/* Another user's name: isolated, so that right-to-left text or bidi controls in it cannot reorder "(you)". */}
                <bdi>{name}</bdi>
                {self ? <span className="sse-peers__you"> (you)</span> : null}
              </span>
              <span className="sse-peers__presence">{self && status !== undefined && own !== 'online' ? status : presenceLabel[presence]}</span>
              {renderExtra ? renderExtra(peer) : null}
            </li>
          );
        })}
        {joining
          ? [0, 1].map((n) => <li key={`skeleton-${n}`} className="sse-peers__skeleton" aria-hidden="true" />)
          : null}
      </ul>
      {joining ? <p className="sse-peers__empty">{joiningMessage}</p> : others === 0 ? <p className="sse-peers__empty">{emptyMessage}</p> : null}
      <span role="status" aria-live="polite" className="sse-visually-hidden">
        {announcement.text ? <span key={announcement.seq}>{announcement.text}</span> : null}
      </span>
    </div>
  );
});
