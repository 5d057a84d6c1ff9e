'use client';
import { forwardRef, useEffect, useId, useRef, useState, type HTMLAttributes, type KeyboardEvent } from 'react';
import { useConnectionStatus, useSseDriver } from '../react/index.js';
import { cx } from './cx.js';
import type { ConnectionState } from './types.js';

/** Default badge text per status. */
export const connectionStatusLabels: Readonly<Record<ConnectionState, string>> = Object.freeze({
  idle: 'Idle',
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Closed',
  error: 'Connection error',
});

/**
 * How long (ms) a status must hold before it is announced: a connection that flaps (connecting, open,
 * connecting… every few hundred ms) is not spoken change by change, and a drop that recovers within this
 * time is not spoken at all.
 */
const SETTLE_MS = 2_000;

/** Props of {@link ConnectionStatus}. */
export interface ConnectionStatusProps extends Omit<HTMLAttributes<HTMLDivElement>, 'children'> {
  /** Replaces the badge text of some statuses (for instance to translate them). */
  labels?: Partial<Record<ConnectionState, string | undefined>> | undefined;
  /**
   * Announce status changes to screen readers through a polite live region (default `true`), once a status
   * has held for 2 s (timed with the driver's timers): a drop that recovers within that time is not spoken.
   */
  announce?: boolean | undefined;
  /** Show the last event id in the details (default `true`). */
  showLastEventId?: boolean | undefined;
  /** Offer a Reconnect button beside the badge when the connection stopped on an error (default `true`). */
  showReconnect?: boolean | undefined;
}

/**
 * The provider's connection status as a badge. Hover or focus it (or press it, on touch screens) to see
 * the retry count, the last event id and the last error. Escape hides the details until the pointer leaves
 * or focus moves away and comes back. The badge follows every change at once; screen readers hear a change
 * politely once the status has held for 2 s, so a flapping connection does not flood them. When the connection
 * stopped on an error (a 401/403 stops the retries), a Reconnect button stands beside the badge; pressing it
 * moves focus to the badge, as the button goes away.
 *
 * Renders a `div` with `data-state` (the status), `data-retries`, `data-open` (details pinned by a press),
 * `data-dismissed` (details hidden with Escape) and, when there is one, `data-error` (the error code).
 * Must be used inside an `SseProvider`.
 *
 * ```tsx
 * <ConnectionStatus />
 * ```
 */
export const ConnectionStatus = forwardRef<HTMLDivElement, ConnectionStatusProps>(function ConnectionStatus(
  { labels, announce = true, showLastEventId = true, showReconnect = true, className, onPointerEnter, onPointerLeave, onBlur, ...rest },
  ref,
) {
  const connection = useConnectionStatus();
  // Fields read are tracked: `lastEventId`, which changes with every event, only when it is shown.
  const { status, retries, error, reconnect } = connection;
  const { platform } = useSseDriver();
  // The status the live region says: it follows `status` once that has held for SETTLE_MS.
  const [spoken, setSpoken] = useState(status);
  const [pinned, setPinned] = useState(false);
  const [dismissed, setDismissed] = useState(false);
  const [hovered, setHovered] = useState(false);
  const detailsId = useId();
  const badgeRef = useRef<HTMLButtonElement>(null);
  const labelOf = (state: ConnectionState): string => labels?.[state] ?? connectionStatusLabels[state];
  const label = labelOf(status);
  const dismiss = () => {
    setPinned(false);
    setDismissed(true);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (event.key === 'Escape') dismiss();
  };
  // Details shown by hover alone must also close on Escape, wherever focus is (WCAG 1.4.13).
  useEffect(() => {
    if (!hovered) return undefined;
    const onDocumentKeyDown = (event: globalThis.KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setPinned(false);
      setDismissed(true);
    };
    document.addEventListener('keydown', onDocumentKeyDown);
    return () => document.removeEventListener('keydown', onDocumentKeyDown);
  }, [hovered]);
  // Every change restarts the wait: only a status that holds is spoken.
  useEffect(() => {
    if (!announce || status === spoken) return undefined;
    const timer = platform.setTimeout(() => setSpoken(status), SETTLE_MS);
    return () => platform.clearTimeout(timer);
  }, [announce, status, spoken, platform]);
  return (
    <div
      ref={ref}
      className={cx('sse-status', className)}
      data-state={status}
      data-retries={retries}
      data-error={error?.code}
      data-open={pinned ? '' : undefined}
      data-dismissed={dismissed ? '' : undefined}
      onPointerEnter={(event) => {
        setHovered(true);
        onPointerEnter?.(event);
      }}
      onPointerLeave={(event) => {
        setHovered(false);
        setDismissed(false);
        onPointerLeave?.(event);
      }}
      onBlur={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDismissed(false);
        onBlur?.(event);
      }}
      {...rest}
    >
      <button
        ref={badgeRef}
        type="button"
        className="sse-status__badge"
        aria-describedby={detailsId}
        aria-expanded={pinned}
        onClick={() => {
          setDismissed(false);
          setPinned((open) => !open);
        }}
        onKeyDown={onKeyDown}
      >
        <span className="sse-status__dot" aria-hidden="true" />
        <span className="sse-status__label">{label}</span>
        {retries > 0 ? <span className="sse-status__retries">{` · retry ${retries}`}</span> : null}
      </button>
      <span role="tooltip" id={detailsId} className="sse-status__details">
        <span className="sse-status__detail">{`Status: ${label}`}</span>
        <span className="sse-status__detail">{`Retries: ${retries}`}</span>
        {showLastEventId ? <span className="sse-status__detail">{`Last event: ${connection.lastEventId ?? 'none'}`}</span> : null}
        {error ? (
          <span className="sse-status__detail" data-kind="error">{`Last error (${error.code}): ${error.message}`}</span>
        ) : null}
      </span>
      {status === 'error' && showReconnect ? (
        <button
          type="button"
          className="sse-button sse-status__action"
          onClick={() => {
            // This button goes away with the error: keep focus on the badge.
            badgeRef.current?.focus();
            reconnect();
          }}
        >
          Reconnect
        </button>
      ) : null}
      {announce ? (
        <span role="status" aria-live="polite" aria-atomic="true" className="sse-visually-hidden">
          {`Connection: ${labelOf(spoken)}`}
        </span>
      ) : null}
    </div>
  );
});
