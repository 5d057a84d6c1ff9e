'use client';
import {
  forwardRef,
  memo,
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type ForwardedRef,
  type HTMLAttributes,
  type ReactElement,
  type ReactNode,
} from 'react';
import type { Matchers } from '../index.js';
import { useSseDriver, useTopic, type UseTopicOptions } from '../react/index.js';
import { cx } from './cx.js';
import type { TopicFeedEvent } from './types.js';

/** How close to the bottom (px) still counts as "at the bottom" for auto-scroll. */
const PIN_THRESHOLD = 24;

/** Default shortest time (ms) between two announcements of new events. */
const ANNOUNCE_INTERVAL = 5_000;

/** Options of the underlying `useTopic` call that {@link TopicFeed} passes through. */
export type TopicFeedTopicOptions<T> = Omit<UseTopicOptions<T>, 'onEvent'>;

/** Props of {@link TopicFeed}. */
export interface TopicFeedProps<T = unknown> extends Omit<HTMLAttributes<HTMLDivElement>, 'children'> {
  /** The topic (or matchers) to show. */
  topic: Matchers;
  /** Options for `useTopic` (`buffer`, `type`, `parse`, `since`, `raw`, `ignoreSelf`, `enabled`). */
  options?: TopicFeedTopicOptions<T>;
  /** Accessible name of the log (default `Events on <topic>`). */
  label?: string;
  /** Renders the body of one event (default: the text, or the JSON of the data). */
  renderEvent?: (event: TopicFeedEvent<T>) => ReactNode;
  /** Formats the arrival time (default: `HH:MM:SS` in the user's locale). */
  formatTime?: (time: number) => string;
  /** Shows the topic of each event (default: only when several matchers are given). */
  showTopic?: boolean;
  /** Shown while there are no events. */
  emptyMessage?: ReactNode;
  /** Text of the button shown while auto-scroll is paused, and of the announcement of new events. */
  newEventsLabel?: (count: number) => string;
  /**
   * Announce new events to screen readers as a polite summary ("3 new events"), at most once per
   * `announceInterval`, and not while auto-scroll is paused (default `true`).
   */
  announce?: boolean;
  /** Shortest time in ms between two announcements (default 5000). Timed with the driver's timers. */
  announceInterval?: number;
  /** Called for every update, in order (passed to `useTopic` as `onEvent`). */
  onEvent?: (event: TopicFeedEvent<T>) => void;
}

const defaultFormatTime = (time: number): string =>
  new Date(time).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

const defaultNewEventsLabel = (count: number): string => (count === 1 ? '1 new event' : `${count} new events`);

/** Text of a payload: strings as they are, anything else as compact JSON. */
export function formatPayload(data: unknown): string {
  if (typeof data === 'string') return data;
  try {
    return JSON.stringify(data) ?? String(data);
  } catch {
    return String(data);
  }
}

function topicText(topic: Matchers): string {
  const list = Array.isArray(topic) ? (topic as readonly (string | { pattern: string })[]) : [topic as string | { pattern: string }];
  return list.map((m) => (typeof m === 'string' ? m : m.pattern)).join(', ');
}

/** Adds the arrival time to an update, once: the same update always maps to the same object. */
function stampWith<T>(cache: WeakMap<object, TopicFeedEvent<unknown>>, update: object): TopicFeedEvent<T> {
  let stamped = cache.get(update);
  if (stamped === undefined) {
    const own = (update as { receivedAt?: unknown }).receivedAt;
    stamped = { ...(update as TopicFeedEvent<unknown>), receivedAt: typeof own === 'number' ? own : Date.now() };
    cache.set(update, stamped);
  }
  return stamped as TopicFeedEvent<T>;
}

interface FeedItemProps {
  readonly event: TopicFeedEvent<unknown>;
  readonly self: boolean;
  readonly showTopic: boolean;
  readonly formatTime: (time: number) => string;
  readonly renderEvent: ((event: TopicFeedEvent<unknown>) => ReactNode) | undefined;
}

const FeedItem = memo(function FeedItem({ event, self, showTopic, formatTime, renderEvent }: FeedItemProps) {
  return (
    <li className="sse-feed__item" data-self={self ? '' : undefined} data-type={event.type}>
      <time className="sse-feed__time" dateTime={new Date(event.receivedAt).toISOString()}>
        {formatTime(event.receivedAt)}
      </time>
      {showTopic ? <span className="sse-feed__topic">{event.topic}</span> : null}
      <div className="sse-feed__body">{renderEvent ? renderEvent(event) : formatPayload(event.data)}</div>
    </li>
  );
});

function TopicFeedImpl<T>(
  {
    topic,
    options,
    label,
    renderEvent,
    formatTime = defaultFormatTime,
    showTopic,
    emptyMessage = 'No events yet.',
    newEventsLabel = defaultNewEventsLabel,
    announce = true,
    announceInterval = ANNOUNCE_INTERVAL,
    onEvent,
    className,
    ...rest
  }: TopicFeedProps<T>,
  ref: ForwardedRef<HTMLDivElement>,
) {
  const [cache] = useState(() => new WeakMap<object, TopicFeedEvent<unknown>>());
  const stamp = useCallback((update: object) => stampWith<T>(cache, update), [cache]);
  const onEventRef = useRef(onEvent);
  onEventRef.current = onEvent;
  const handleEvent = useCallback((update: object) => onEventRef.current?.(stamp(update)), [stamp]);
  const { events, status, error: ownError, connectionError, dropped } = useTopic<T>(topic, { ...options, onEvent: handleEvent } as UseTopicOptions<T>);
  const error = ownError ?? connectionError;
  const driver = useSseDriver();
  const selfId = driver.clientId;

  const scrollerRef = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const [pausedAt, setPausedAt] = useState<number | undefined>(undefined);
  const total = dropped + events.length;

  useLayoutEffect(() => {
    const scroller = scrollerRef.current;
    if (scroller && pinned.current) scroller.scrollTop = scroller.scrollHeight;
  }, [events]);

  const onScroll = () => {
    const scroller = scrollerRef.current;
    if (!scroller) return;
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight <= PIN_THRESHOLD;
    pinned.current = atBottom;
    if (atBottom) setPausedAt(undefined);
    else setPausedAt((at) => at ?? total);
  };

  const jumpToLatest = () => {
    const scroller = scrollerRef.current;
    pinned.current = true;
    setPausedAt(undefined);
    if (scroller) {
      scroller.scrollTop = scroller.scrollHeight;
      scroller.focus();
    }
  };

  const paused = pausedAt !== undefined;
  const [announcement, setAnnouncement] = useState({ text: '', seq: 0 });
  // `said`: the total covered by the last announcement (or skipped while paused); `timer`: the quiet
  // window after an announcement, at whose end the events that came meanwhile are summarised.
  const announcer = useRef<{ said: number; timer: unknown }>({ said: total, timer: undefined });
  const latest = useRef({ total, paused, newEventsLabel, announceInterval });
  latest.current = { total, paused, newEventsLabel, announceInterval };
  const { platform } = driver;

  const speak = useCallback(() => {
    const state = announcer.current;
    const now = latest.current;
    state.timer = undefined;
    if (now.paused || now.total <= state.said) return;
    const text = now.newEventsLabel(now.total - state.said);
    setAnnouncement((previous) => ({ text, seq: previous.seq + 1 }));
    state.said = now.total;
    state.timer = platform.setTimeout(speak, now.announceInterval);
  }, [platform]);

  useEffect(() => {
    const state = announcer.current;
    // Paused: the "new events" button informs; what arrives meanwhile is never announced.
    if (!announce || paused) state.said = total;
    else if (state.timer === undefined) speak();
  }, [announce, paused, total, speak]);

  useEffect(
    () => () => {
      const state = announcer.current;
      if (state.timer !== undefined) platform.clearTimeout(state.timer);
      state.timer = undefined;
    },
    [platform],
  );

  const unseen = pausedAt === undefined ? 0 : Math.max(0, total - pausedAt);
  const multi = Array.isArray(topic) && topic.length > 1;
  const name = label ?? `Events on ${topicText(topic)}`;
  const empty = events.length === 0;

  return (
    <div
      ref={ref}
      className={cx('sse-feed', className)}
      data-state={status}
      data-empty={empty ? '' : undefined}
      data-error={error ? error.code : undefined}
      data-paused={paused ? '' : undefined}
      {...rest}
    >
      <div
        ref={scrollerRef}
        className="sse-feed__scroller"
        role="log"
        aria-live="off"
        aria-label={name}
        tabIndex={0}
        onScroll={onScroll}
      >
        {empty ? (
          <p className="sse-feed__empty">{emptyMessage}</p>
        ) : (
          <ol className="sse-feed__list">
            {events.map((update, index) => {
              const event = stamp(update);
              return (
                <FeedItem
                  key={update.id || `#${dropped + index}`}
                  event={event as TopicFeedEvent<unknown>}
                  self={update.sender !== undefined && update.sender === selfId}
                  showTopic={showTopic ?? multi}
                  formatTime={formatTime}
                  renderEvent={renderEvent as FeedItemProps['renderEvent']}
                />
              );
            })}
          </ol>
        )}
      </div>
      {error ? (
        <p className="sse-feed__error" role="alert">
          {error.message}
        </p>
      ) : null}
      {announce ? (
        <span role="status" aria-live="polite" aria-atomic="true" className="sse-visually-hidden">
          {announcement.text ? <span key={announcement.seq}>{announcement.text}</span> : null}
        </span>
      ) : null}
      {unseen > 0 ? (
        <button type="button" className="sse-feed__jump" onClick={jumpToLatest}>
          {newEventsLabel(unseen)}
        </button>
      ) : null}
    </div>
  );
}

/**
 * The events of a topic, newest last, with arrival times. Auto-scrolls to the newest event and pauses while
 * the user has scrolled up, offering a "new events" button to jump back. Bounded by the `buffer` option of
 * `useTopic` (default 50), so it stays smooth under thousands of events per minute. The list is a
 * `role="log"` that does not speak each event (`aria-live="off"`): a polite status announces a summary
 * ("3 new events") at most once per `announceInterval`, and stays silent while auto-scroll is paused.
 *
 * Renders a `div` with `data-state` (the subscription status), `data-empty`, `data-paused` and
 * `data-error` (the error code). Events sent by this client carry `data-self`.
 *
 * ```tsx
 * <TopicFeed topic="https://example.com/chat" options={{ buffer: 200 }} />
 * ```
 */
export const TopicFeed = forwardRef(TopicFeedImpl) as <T = unknown>(
  props: TopicFeedProps<T> & { ref?: ForwardedRef<HTMLDivElement> },
) => ReactElement;
