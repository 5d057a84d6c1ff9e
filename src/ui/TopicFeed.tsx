'use client';
import {
  forwardRef,
  memo,
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  useSyncExternalStore,
  type ForwardedRef,
  type HTMLAttributes,
  type ReactElement,
  type ReactNode,
} from 'react';
import type { Matchers, SseError } from '../index.js';
import { useConnectionStatus, useSseDriver, useTopic, type UseTopicOptions } from '../react/index.js';
import { cx } from './cx.js';
import { hueOf, initialsOf } from './identity.js';
import { formatRelativeTime } from './relativeTime.js';
import { nowOf, tickerOf, type Ticker } from './ticker.js';
import type { TopicFeedEvent, UiClock } from './types.js';

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
  options?: TopicFeedTopicOptions<T> | undefined;
  /** Accessible name of the log (default `Events on <topic>`). */
  label?: string | undefined;
  /** Renders the body of one event (default: {@link eventText}, else the data as indented JSON). */
  renderEvent?: ((event: TopicFeedEvent<T>) => ReactNode) | undefined;
  /**
   * The author of an event, shown with an avatar in a colour of its own; consecutive events of one author
   * are grouped under one header. Default {@link eventAuthor} (`author`, `name`, `user` or `from` of the
   * data). Return `undefined` for events without an author: they show their time only.
   */
  getAuthor?: ((event: TopicFeedEvent<T>) => string | undefined) | undefined;
  /**
   * When an event happened, in ms since the epoch — e.g. a `sentAt` of the data, so that a replayed backlog
   * shows when each message was sent. Default (and when it returns `undefined`, or anything but a number a
   * `Date` can hold): its arrival time.
   */
  getTime?: ((event: TopicFeedEvent<T>) => number | undefined) | undefined;
  /**
   * Formats an event's time as seen at `now` (default {@link formatRelativeTime}: "now", "2 minutes ago",
   * then clock times; the full date is its tooltip). Labels follow the driver's clock (`platform`), refreshed
   * by one shared coarse timer that re-renders a label only when its text changes, never the rows.
   */
  formatTime?: ((time: number, now: number) => string) | undefined;
  /** Consecutive events of one author closer than this (ms) share one header (default 5 minutes; 0 never groups). */
  groupWithin?: number | undefined;
  /** Shows the topic of each event (default: only when several matchers are given). */
  showTopic?: boolean | undefined;
  /** Shown while connected and there are no events (default `No messages yet.`). */
  emptyMessage?: ReactNode | undefined;
  /** Text of the button shown while auto-scroll is paused, and of the announcement of new events. */
  newEventsLabel?: ((count: number) => string) | undefined;
  /**
   * Announce new events to screen readers as a polite summary ("3 new events"), at most once per
   * `announceInterval`, and not while auto-scroll is paused (default `true`).
   */
  announce?: boolean | undefined;
  /** Shortest time in ms between two announcements (default 5000). Timed with the driver's timers. */
  announceInterval?: number | undefined;
  /** Called for every update, in order (passed to `useTopic` as `onEvent`). */
  onEvent?: ((event: TopicFeedEvent<T>) => void) | undefined;
}

const fullTime = (time: number): string => new Date(time).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** Default quiet time within which consecutive events of one author share a header. */
const GROUP_WITHIN = 5 * 60_000;

const firstString = (data: unknown, keys: readonly string[]): string | undefined => {
  if (data === null || typeof data !== 'object') return undefined;
  for (const key of keys) {
    const value = (data as Record<string, unknown>)[key];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
};

/** Default author of an event: the `author`, `name`, `user` or `from` string of its data. */
export function eventAuthor(event: { readonly data: unknown }): string | undefined {
  return firstString(event.data, ['author', 'name', 'user', 'from']);
}

/**
 * Default text of an event: a string payload as it is, else the `text`, `message`, `body` or `content`
 * string of its data; `undefined` when there is none (the feed then shows the data as indented JSON).
 */
export function eventText(event: { readonly data: unknown }): string | undefined {
  return typeof event.data === 'string' ? event.data : firstString(event.data, ['text', 'message', 'body', 'content']);
}

const defaultNewEventsLabel = (count: number): string => (count === 1 ? '1 new event' : `${count} new events`);

/**
 * Text of a payload: strings as they are, anything else as JSON (indented by `indent` spaces, default none);
 * what JSON cannot hold as `String(data)`, and what not even that can print (an array nested too deep for the
 * stack) as its kind (`[object Array]`). Never throws.
 */
export function formatPayload(data: unknown, indent = 0): string {
  if (typeof data === 'string') return data;
  try {
    return JSON.stringify(data, null, indent) ?? String(data);
  } catch {
    try {
      return String(data);
    } catch {
      return Object.prototype.toString.call(data);
    }
  }
}

function topicText(topic: Matchers): string {
  const list = Array.isArray(topic) ? (topic as readonly (string | { pattern: string })[]) : [topic as string | { pattern: string }];
  return list.map((m) => (typeof m === 'string' ? m : m.pattern)).join(', ');
}

/** Whether `time` is a number a `Date` can hold (±8.64e15 ms): what times of data or of `getTime` must be to be shown. */
const isTime = (time: unknown): time is number => typeof time === 'number' && Math.abs(time) <= 8.64e15;

/** Adds the arrival time (on `clock`) to an update, once: the same update always maps to the same object. */
function stampWith<T>(cache: WeakMap<object, TopicFeedEvent<unknown>>, clock: UiClock, update: object): TopicFeedEvent<T> {
  let stamped = cache.get(update);
  if (stamped === undefined) {
    const own = (update as { receivedAt?: unknown }).receivedAt;
    stamped = { ...(update as TopicFeedEvent<unknown>), receivedAt: isTime(own) ? own : nowOf(clock) };
    cache.set(update, stamped);
  }
  return stamped as TopicFeedEvent<T>;
}

/** An event's time, kept current by the shared ticker: only this label re-renders when its text changes. */
function EventTime({ time, ticker, format }: { time: number; ticker: Ticker; format: (time: number, now: number) => string }) {
  const label = useSyncExternalStore(
    ticker.subscribe,
    () => format(time, ticker.now()),
    () => format(time, time),
  );
  return (
    <time className="sse-feed__time" dateTime={new Date(time).toISOString()} title={fullTime(time)}>
      {label}
    </time>
  );
}

interface FeedItemProps {
  readonly event: TopicFeedEvent<unknown>;
  /** When the event happened (its `getTime`, else its arrival). */
  readonly time: number;
  readonly author: string | undefined;
  /** Continues the previous event's group: no header of its own (still read out by screen readers). */
  readonly grouped: boolean;
  readonly self: boolean;
  readonly showTopic: boolean;
  readonly ticker: Ticker;
  readonly formatTime: (time: number, now: number) => string;
  readonly renderEvent: ((event: TopicFeedEvent<unknown>) => ReactNode) | undefined;
}

const FeedItem = memo(function FeedItem({ event, time, author, grouped, self, showTopic, ticker, formatTime, renderEvent }: FeedItemProps) {
  const text = renderEvent ? undefined : eventText(event);
  return (
    <li
      className="sse-feed__item"
      data-self={self ? '' : undefined}
      data-type={event.type}
      data-grouped={grouped ? '' : undefined}
      data-author={author === undefined ? undefined : ''}
      data-hue={author === undefined ? undefined : hueOf(author)}
    >
      {author === undefined ? null : (
        <span className="sse-feed__avatar" aria-hidden="true">
          {grouped ? null : initialsOf(author)}
        </span>
      )}
      <div className="sse-feed__meta">
        {/* Text from other users is isolated for bidi (`dir="auto"`): right-to-left text or bidi controls in it cannot reorder what surrounds it. */}
        {author === undefined ? null : (
          <span className="sse-feed__author" dir="auto">
            {author}
          </span>
        )}
        <EventTime time={time} ticker={ticker} format={formatTime} />
        {showTopic ? (
          <span className="sse-feed__topic" dir="auto">
            {event.topic}
          </span>
        ) : null}
      </div>
      {renderEvent ? (
        <div className="sse-feed__body">{renderEvent(event)}</div>
      ) : text !== undefined ? (
        <div className="sse-feed__body" dir="auto">
          {text}
        </div>
      ) : (
        <pre className="sse-feed__body" data-format="json">
          {formatPayload(event.data, 2)}
        </pre>
      )}
    </li>
  );
});

/** What an empty feed says, following the connection. */
function EmptyState({ status, error, message, onReconnect }: { status: string; error: SseError | undefined; message: ReactNode; onReconnect: () => void }) {
  if (status === 'open') return <p className="sse-feed__empty">{message}</p>;
  if (status === 'error' || status === 'closed') {
    const denied = error?.code === 'unauthorized' || error?.code === 'forbidden';
    return (
      <div className="sse-feed__empty" data-kind="error" role="alert">
        <p className="sse-feed__empty-title">{denied ? 'Not authorized' : status === 'closed' ? 'Disconnected' : 'Connection lost'}</p>
        {error ? <p className="sse-feed__empty-detail">{denied ? 'The hub refused these credentials.' : error.message}</p> : null}
        {/* Closed: the driver was destroyed, nothing can reconnect it. */}
        {status === 'error' ? (
          <button type="button" className="sse-button" onClick={onReconnect}>
            Reconnect
          </button>
        ) : null}
      </div>
    );
  }
  return (
    <p className="sse-feed__empty" data-kind="waiting">
      {status === 'reconnecting' ? 'Reconnecting…' : 'Connecting…'}
    </p>
  );
}

function TopicFeedImpl<T>(
  {
    topic,
    options,
    label,
    renderEvent,
    getAuthor = eventAuthor,
    getTime,
    formatTime = formatRelativeTime,
    groupWithin = GROUP_WITHIN,
    showTopic,
    emptyMessage = 'No messages yet.',
    newEventsLabel = defaultNewEventsLabel,
    announce = true,
    announceInterval = ANNOUNCE_INTERVAL,
    onEvent,
    className,
    ...rest
  }: TopicFeedProps<T>,
  ref: ForwardedRef<HTMLDivElement>,
) {
  const driver = useSseDriver();
  const { platform } = driver;
  const [cache] = useState(() => new WeakMap<object, TopicFeedEvent<unknown>>());
  const stamp = useCallback((update: object) => stampWith<T>(cache, platform, update), [cache, platform]);
  const onEventRef = useRef(onEvent);
  onEventRef.current = onEvent;
  const handleEvent = useCallback((update: object) => onEventRef.current?.(stamp(update)), [stamp]);
  const { events, status, error: ownError, connectionError, dropped } = useTopic<T>(topic, { ...options, onEvent: handleEvent } as UseTopicOptions<T>);
  const error = ownError ?? connectionError;
  const { reconnect: reconnectDriver } = useConnectionStatus();
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

  // A Reconnect button goes away with the error it answers: focus moves to the log, not to the page body.
  const reconnect = () => {
    scrollerRef.current?.focus();
    reconnectDriver();
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
  // The subscription's own error (an update skipped) stays in `useTopic` until `clear()`: the user dismisses it here.
  const [dismissed, setDismissed] = useState<SseError | undefined>(undefined);
  const skipped = error !== undefined && (error.code === 'parse' || error.code === 'unroutable');
  const dismiss = () => {
    setDismissed(error);
    scrollerRef.current?.focus();
  };
  // The skipped update an alert reports: the first one since the alert came up. Later ones do not rewrite it
  // (a hub sending bad updates would have it spoken update by update); after a dismissal the next one shows.
  const reporting = skipped && error !== dismissed;
  const [reported, setReported] = useState<SseError | undefined>(undefined);
  if (reporting ? reported === undefined : reported !== undefined) setReported(reporting ? error : undefined);
  const [announcement, setAnnouncement] = useState({ text: '', seq: 0 });
  // `said`: the total covered by the last announcement (or skipped while paused); `timer`: the quiet
  // window after an announcement, at whose end the events that came meanwhile are summarised.
  const announcer = useRef<{ said: number; timer: unknown }>({ said: total, timer: undefined });
  const latest = useRef({ total, paused, newEventsLabel, announceInterval });
  latest.current = { total, paused, newEventsLabel, announceInterval };

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
  const ticker = tickerOf(platform);
  // `getTime` often reads the data, which another client wrote: a time a `Date` cannot hold falls back to the arrival.
  const timeOf = (event: TopicFeedEvent<T>): number => {
    const time = getTime?.(event);
    return isTime(time) ? time : event.receivedAt;
  };

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
          // A disabled subscription is idle on purpose: nothing to wait for.
          <EmptyState status={options?.enabled === false ? 'open' : status} error={error} message={emptyMessage} onReconnect={reconnect} />
        ) : (
          <ol className="sse-feed__list">
            {events.map((update, index) => {
              const event = stamp(update);
              const time = timeOf(event);
              const author = getAuthor(event);
              const previous = index > 0 ? stamp(events[index - 1] as object) : undefined;
              const grouped =
                author !== undefined &&
                previous !== undefined &&
                getAuthor(previous) === author &&
                time - timeOf(previous) < groupWithin;
              return (
                <FeedItem
                  // Its place in the stream (events only join at the end and leave from the front): ids can repeat.
                  key={dropped + index}
                  event={event as TopicFeedEvent<unknown>}
                  time={time}
                  author={author}
                  grouped={grouped}
                  self={update.sender !== undefined && update.sender === selfId}
                  showTopic={showTopic ?? multi}
                  ticker={ticker}
                  formatTime={formatTime}
                  renderEvent={renderEvent as FeedItemProps['renderEvent']}
                />
              );
            })}
          </ol>
        )}
      </div>
      {/* A stream that broke and recovers is not an error to show: only a stop (or a subscription's own error). */}
      {!empty && error && (status === 'error' || reporting) ? (
        <div className="sse-feed__error" role="alert">
          <span className="sse-feed__error-text">{(status === 'error' ? error : (reported ?? error)).message}</span>
          {status === 'error' ? (
            <button type="button" className="sse-button" onClick={reconnect}>
              Reconnect
            </button>
          ) : (
            <button type="button" className="sse-button" onClick={dismiss}>
              Dismiss
            </button>
          )}
        </div>
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
 * The events of a topic, newest last. Events with an author (see `getAuthor`) show an avatar in a colour of
 * the author's own, and consecutive events of one author share one header; each shows its time (arrival, or
 * `getTime`) relative while recent ("now", "2 minutes ago") and as a compact clock time after that (the
 * full date is its tooltip), its text, or its data as indented JSON when it has no text. Author, topic and
 * text come from other users: each is isolated for bidi (`dir="auto"`), so right-to-left text or bidi
 * controls in it cannot reorder what surrounds it. While there are no events the feed follows the
 * connection: "Connecting…", "Reconnecting…", or — when the hub refused — "Not authorized" with a Reconnect
 * button ("Disconnected", without one, once the driver is destroyed). A broken stream that recovers shows nothing; a stop
 * shows the error with Reconnect; an update that could not be parsed or routed (skipped) shows its error
 * until dismissed (further ones meanwhile do not rewrite the alert; one after the dismissal shows again). Auto-scrolls to the newest event and pauses while
 * the user has scrolled up, offering a "new events" button to jump back. Bounded by the `buffer` option of
 * `useTopic` (default 50), so it stays smooth under thousands of events per minute. The list is a
 * `role="log"` that does not speak each event (`aria-live="off"`): a polite status announces a summary
 * ("3 new events") at most once per `announceInterval`, and stays silent while auto-scroll is paused.
 *
 * Renders a `div` with `data-state` (the subscription status), `data-empty`, `data-paused` and
 * `data-error` (the error code). Each event row carries `data-self` (sent by this client), `data-grouped`
 * (continues the previous author's group), `data-author` and `data-hue` (the author's colour, 0–7).
 *
 * ```tsx
 * <TopicFeed topic="https://example.com/chat" options={{ buffer: 200 }} />
 * ```
 */
export const TopicFeed = forwardRef(TopicFeedImpl) as <T = unknown>(
  props: TopicFeedProps<T> & { ref?: ForwardedRef<HTMLDivElement> },
) => ReactElement;
